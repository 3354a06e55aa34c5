from eval.bench.suite import main

main()
