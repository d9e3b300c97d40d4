"""A custom C++ op end to end: compile, load, give it a gradient, train through it.

`python -m examples.custom_op` runs `fit.main`; `build.py` holds the compile step.
"""
