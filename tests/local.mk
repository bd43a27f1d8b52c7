# Integration tests (TAP shell scripts) are listed here.
