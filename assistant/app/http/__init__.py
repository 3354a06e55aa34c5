"""The HTTP service (`qa serve`): routes, the OpenAI-compatible format, streams, access and back-pressure."""
