"""Trains the cased WordPiece tokenizer (HF `tokenizers`) on the generated training split.

Normalizer: NFC, then BERT cleaning (control characters removed, whitespace -> space, spaces
around CJK characters); no lowercasing, no accent stripping. Pre-tokenizer: BERT (split on
whitespace and punctuation). Post-processor: [CLS] $A [SEP]. Offsets refer to the original text.

    python train_tokenizer.py --data data --out ../tokenizer.json --vocab 12000
"""

import argparse
import json
import os
import random

from faker import Faker
from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def alphabet():
    """Printable ASCII, Latin-1, Latin Extended-A/B, Greek and Cyrillic letters: always in the
    vocabulary (WordPiece maps a word with any unknown character to [UNK] as a whole)."""
    chars = [chr(c) for c in range(0x21, 0x7F)]
    chars += [chr(c) for c in range(0xA1, 0x250) if chr(c).isprintable() and not chr(c).isspace()]
    chars += [chr(c) for c in range(0x391, 0x3CA) if chr(c).isalpha()]
    chars += [chr(c) for c in range(0x410, 0x450)]
    chars += list("€£¥₹–—‘’“”„…•→✓✔✅❌🎉👍🙂😊")
    return chars


def corpus(data_dir, keep_entities=0.15, seed=13):
    """Training texts in which most entity mentions are cut out: the vocabulary should hold
    ordinary words and subword pieces, not thousands of whole generated names (the model would
    then see unseen names, split into pieces, only at inference)."""
    rng = random.Random(seed)
    with open(os.path.join(data_dir, "train.jsonl"), encoding="utf-8") as fh:
        for line in fh:
            ex = json.loads(line)
            text, pos, parts = ex["text"], 0, []
            for s, e, _ in sorted(ex["spans"]):
                parts.append(text[pos:s])
                if rng.random() < keep_entities:
                    parts.append(text[s:e])
                pos = e
            parts.append(text[pos:])
            yield "".join(parts)
    # General vocabulary beyond the templates: Faker's lorem word lists of several languages.
    for loc in ["en_US", "de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL", "pl_PL", "pt_PT"]:
        words = Faker(loc).get_words_list()
        for _ in range(3):
            yield " ".join(words)
            yield " ".join(w.capitalize() for w in words)


def build(vocab_size):
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]", max_input_chars_per_word=100))
    tok.normalizer = normalizers.Sequence([
        normalizers.NFC(),
        normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=True, strip_accents=False,
                                   lowercase=False),
    ])
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.decoder = decoders.WordPiece(prefix="##")
    trainer = trainers.WordPieceTrainer(vocab_size=vocab_size, min_frequency=2, special_tokens=SPECIALS,
                                        initial_alphabet=alphabet(), limit_alphabet=1000,
                                        continuing_subword_prefix="##", show_progress=False)
    return tok, trainer


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="data")
    ap.add_argument("--out", default="../tokenizer.json")
    ap.add_argument("--vocab", type=int, default=12000)
    a = ap.parse_args()
    tok, trainer = build(a.vocab)
    tok.train_from_iterator(corpus(a.data), trainer=trainer)
    cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls), ("[SEP]", sep)])
    tok.save(a.out)
    enc = tok.encode("Washington signed the bill; Zoë Łukasiewicz moved to São Paulo.")
    print("vocab", tok.get_vocab_size(), "example", enc.tokens, enc.offsets)


if __name__ == "__main__":
    main()
