"""TF1 programs written the way 2016-2018 tutorials wrote them, run on the engine through
``import engine as tf`` and nothing else changed; ``python -m examples.tf1.<name>``."""
