"""fastnn.data: datasets, samplers, batching, splitting, scaling and image transforms (torch.utils.data,
plus sklearn-style helpers)."""
from fastnn.data import transforms
from fastnn.data.collate import default_collate, default_convert
from fastnn.data.dataloader import DataLoader
from fastnn.data.distributed import DistributedSampler
from fastnn.data.dataset import (ChainDataset, ConcatDataset, Dataset, IterableDataset, StackDataset, Subset,
                                 TensorDataset)
from fastnn.data.kfold import KFold
from fastnn.data.sampler import (BatchSampler, RandomSampler, Sampler, SequentialSampler, SubsetRandomSampler,
                                 WeightedRandomSampler)
from fastnn.data.scaler import StandardScaler
from fastnn.data.splits import random_split, train_val_test_split
from fastnn.data.transforms import Compose, Normalize, RandomCrop, RandomHorizontalFlip, ToTensor
from fastnn.data.worker import WorkerInfo, get_worker_info

__all__ = ["BatchSampler", "ChainDataset", "Compose", "ConcatDataset", "DataLoader", "Dataset", "DistributedSampler", "IterableDataset",
           "KFold", "Normalize", "RandomCrop", "RandomHorizontalFlip", "RandomSampler", "Sampler", "SequentialSampler",
           "StackDataset", "StandardScaler", "Subset", "SubsetRandomSampler", "TensorDataset", "ToTensor",
           "WeightedRandomSampler", "WorkerInfo", "default_collate", "default_convert", "get_worker_info",
           "random_split", "train_val_test_split", "transforms"]
