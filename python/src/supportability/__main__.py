from supportability.cli import main

# Guarded: the online writer's child process (multiprocessing's spawn) imports this module again.
if __name__ == "__main__":
    main()
