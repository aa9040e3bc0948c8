"""Import stub for torchvision.transforms (see Tools/reference/stubs/_phenaki_reference_stub.py)."""
from _phenaki_reference_stub import module_getattr as _module_getattr

__getattr__ = _module_getattr("torchvision.transforms")
