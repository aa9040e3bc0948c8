"""Shared helper for the import stubs in Tools/reference/stubs.

phenaki-pytorch 0.5.0 imports torchvision, cv2, transformers and accelerate at
module level (trainers, data loading, T5, VGG). None of them is needed to build
the attention / C-ViViT blocks, and torchvision from PyPI does not import beside
the local torch 2.13 CPU wheel. These stubs let `import phenaki_pytorch`
succeed; anything that actually *uses* a stubbed name raises at call time.
"""


class StubbedError(RuntimeError):
    pass


class Missing:
    """A stand-in for any name of a stubbed package. Attribute access yields
    further stand-ins. Calling a name (`T.ToTensor()`, evaluated as a default
    argument when phenaki_pytorch/data.py is imported) yields an "instance"
    stand-in; calling that instance (actually using it) raises StubbedError."""

    def __init__(self, qualname, instance=False):
        self._qualname = qualname
        self._instance = instance

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return Missing(f"{self._qualname}.{name}", self._instance)

    def __call__(self, *args, **kwargs):
        if not self._instance:
            return Missing(f"{self._qualname}()", instance=True)
        raise StubbedError(
            f"{self._qualname} is a stub (Tools/reference/stubs); the parity "
            "fixtures must not depend on it (use CViViT(use_vgg_and_gan=False))."
        )

    def __repr__(self):
        return f"<stub {self._qualname}>"


def module_getattr(module_name):
    def __getattr__(name):
        if name.startswith("__"):
            raise AttributeError(name)
        return Missing(f"{module_name}.{name}")

    return __getattr__
