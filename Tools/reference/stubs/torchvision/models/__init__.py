"""Import stub for torchvision.models (see Tools/reference/stubs/_phenaki_reference_stub.py)."""
from _phenaki_reference_stub import StubbedError as _StubbedError
from _phenaki_reference_stub import module_getattr as _module_getattr


def vgg16(*args, **kwargs):
    raise _StubbedError(
        "torchvision.models.vgg16 is a stub (Tools/reference/stubs): construct "
        "CViViT(..., use_vgg_and_gan=False) for reference fixtures."
    )


__getattr__ = _module_getattr("torchvision.models")
