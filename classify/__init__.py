"""Complaint classification: category (and so agency), confidence, urgency, emergencies.

Public entry points:

- ``classify.predictor.load_latest(models_root=...) -> Predictor``; ``Predictor.predict(texts)``
  returns ``Prediction`` (category, agency, confidence, urgent, emergency, emergency_kind,
  model_version); ``Predictor.meta`` (with "threshold") and ``Predictor.version``.
- ``classify.emergency.detect(text) -> "fire" | "crime" | "medical" | None`` (cheap, no torch).
- ``classify.train.train(models_root=..., config=TrainConfig(...), extra_examples=[...])``.
- ``classify.cli.app``: the ``hotline classify`` commands (train, eval, predict, ensure-model).

Heavy dependencies (torch, transformers, scikit-learn) are imported by the submodules that need
them, never here.
"""
