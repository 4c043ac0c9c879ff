"""PyTorch's "Learn the Basics" quickstart, written again: an MLP on (synthetic) Fashion-MNIST-shaped
data with Dataset/DataLoader, train/test loops, saving and loading the state dict."""
import fastnn as torch
from fastnn import nn
from fastnn.utils.data import DataLoader, Dataset


class Blobs(Dataset):
    """28x28 images whose class is where a bright square sits, with noise."""

    def __init__(self, n, seed):
        g = torch.Generator().manual_seed(seed)
        self.labels = torch.randint(0, 10, (n,), generator=g)
        self.images = torch.rand(n, 1, 28, 28, generator=g) * 0.3
        for i in range(n):
            r, c = divmod(int(self.labels[i]), 5)
            self.images[i, 0, 4 + 12 * r:12 + 12 * r, 2 + 5 * c:6 + 5 * c] += 0.7

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, idx):
        return self.images[idx], self.labels[idx]


device = torch.accelerator.current_accelerator().type if torch.accelerator.is_available() else "cpu"


class NeuralNetwork(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.linear_relu_stack = nn.Sequential(
            nn.Linear(28 * 28, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10))

    def forward(self, x):
        x = self.flatten(x)
        logits = self.linear_relu_stack(x)
        return logits


def train(dataloader, model, loss_fn, optimizer):
    size = len(dataloader.dataset)
    model.train()
    for batch, (X, y) in enumerate(dataloader):
        X, y = X.to(device), y.to(device)
        pred = model(X)
        loss = loss_fn(pred, y)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        if batch % 10 == 0:
            loss, current = loss.item(), (batch + 1) * len(X)
            print(f"loss: {loss:>7f}  [{current:>5d}/{size:>5d}]")


def test(dataloader, model, loss_fn):
    size = len(dataloader.dataset)
    num_batches = len(dataloader)
    model.eval()
    test_loss, correct = 0, 0
    with torch.no_grad():
        for X, y in dataloader:
            X, y = X.to(device), y.to(device)
            pred = model(X)
            test_loss += loss_fn(pred, y).item()
            correct += (pred.argmax(1) == y).type(torch.float).sum().item()
    test_loss /= num_batches
    correct /= size
    print(f"Test Error: \n Accuracy: {(100*correct):>0.1f}%, Avg loss: {test_loss:>8f} \n")
    return correct


def main(tmp_dir):
    torch.manual_seed(0)
    train_dataloader = DataLoader(Blobs(640, 1), batch_size=64, shuffle=True)
    test_dataloader = DataLoader(Blobs(200, 2), batch_size=64)
    for X, y in test_dataloader:
        print(f"Shape of X [N, C, H, W]: {X.shape}")
        print(f"Shape of y: {y.shape} {y.dtype}")
        break
    model = NeuralNetwork().to(device)
    print(model)
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for t in range(3):
        print(f"Epoch {t+1}\n-------------------------------")
        train(train_dataloader, model, loss_fn, optimizer)
        accuracy = test(test_dataloader, model, loss_fn)
    torch.save(model.state_dict(), f"{tmp_dir}/model.pth")
    model = NeuralNetwork().to(device)
    model.load_state_dict(torch.load(f"{tmp_dir}/model.pth", weights_only=True))
    model.eval()
    x, y = test_dataloader.dataset[0][0], test_dataloader.dataset[0][1]
    with torch.no_grad():
        x = x.to(device)
        pred = model(x)
        print(f'Predicted: "{pred[0].argmax(0)}", Actual: "{y}"')
    return {"accuracy": accuracy}
