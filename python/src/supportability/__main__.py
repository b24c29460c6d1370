from supportability.cli import main

main()
