"""Offline evaluation of matching: NDCG@10 and MRR of the engine and of a plain BM25
baseline over the same expert texts, on a labelled file of needs (``needs.json``) and
a deterministic expert corpus (``corpus.json``), both shipped here."""
