"""`rasa`, with the changes of web/rasa_patches.py installed first: every Rasa process we start (`make run`,
`make shell`, `rasa test` in the tests) runs the same, patched Rasa.

  python -m web.rasa_main run --model ...     instead of     rasa run --model ...
"""
from web import rasa_patches

rasa_patches.apply()  # refuses any Rasa but the version the changes were written for

if __name__ == "__main__":
    from rasa.__main__ import main

    main()
