"""Install-time tooling (`make install`): the ONNX export, the native llama.cpp build, other quantisations."""
