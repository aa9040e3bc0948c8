"""Import stub for transformers (see Tools/reference/stubs/_phenaki_reference_stub.py).

phenaki_pytorch/t5.py calls transformers.logging.set_verbosity_error() at import
time, so `logging` is a real no-op namespace; T5Tokenizer, T5EncoderModel and
T5Config are stand-ins that raise when used.
"""
import types as _types

from _phenaki_reference_stub import module_getattr as _module_getattr

__version__ = "0.0.0+phenaki-reference-stub"

logging = _types.SimpleNamespace(set_verbosity_error=lambda: None)

__getattr__ = _module_getattr("transformers")
