"""Import stub for torchvision (see Tools/reference/stubs/_phenaki_reference_stub.py)."""
from _phenaki_reference_stub import module_getattr as _module_getattr

__version__ = "0.0.0+phenaki-reference-stub"

from . import datasets, models, transforms, utils  # noqa: E402,F401

__getattr__ = _module_getattr("torchvision")
