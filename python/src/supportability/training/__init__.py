"""Training: fit, calibrate, evaluate and register models; `train_default` does it all for the default data."""

from supportability.training.pipeline import train_and_register, train_default
from supportability.training.trainer import TrainConfig, train

__all__ = ["TrainConfig", "train", "train_and_register", "train_default"]
