"""fastnn.data: datasets, batching, splitting, scaling and image transforms (torch.utils.data,
plus sklearn-style helpers)."""
from fastnn.data import transforms
from fastnn.data.collate import default_collate
from fastnn.data.dataloader import DataLoader
from fastnn.data.dataset import Dataset, Subset, TensorDataset
from fastnn.data.kfold import KFold
from fastnn.data.scaler import StandardScaler
from fastnn.data.splits import random_split, train_val_test_split
from fastnn.data.transforms import Compose, Normalize, RandomCrop, RandomHorizontalFlip, ToTensor

__all__ = ["Compose", "DataLoader", "Dataset", "KFold", "Normalize", "RandomCrop", "RandomHorizontalFlip",
           "StandardScaler", "Subset", "TensorDataset", "ToTensor", "default_collate", "random_split",
           "train_val_test_split", "transforms"]
