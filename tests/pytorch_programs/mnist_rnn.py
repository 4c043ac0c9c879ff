"""PyTorch's MNIST RNN example, written again: images read row by row by a batch_first LSTM,
the last output classified, Adam, StepLR and clip_grad_norm_."""
import fastnn as torch
import fastnn.nn as nn
import fastnn.nn.functional as F
import fastnn.optim as optim
from fastnn.optim.lr_scheduler import StepLR
from fastnn.utils.data import DataLoader, TensorDataset


class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.rnn = nn.LSTM(input_size=28, hidden_size=32, batch_first=True)
        self.batchnorm = nn.BatchNorm1d(32)
        self.dropout1 = nn.Dropout2d(0.25)
        self.dropout2 = nn.Dropout2d(0.5)
        self.fc1 = nn.Linear(32, 32)
        self.fc2 = nn.Linear(32, 10)

    def forward(self, input):
        input = input.reshape(-1, 28, 28)
        output, hidden = self.rnn(input)
        output = output[:, -1, :]
        output = self.batchnorm(output)
        output = self.dropout1(output)
        output = self.fc1(output)
        output = F.relu(output)
        output = self.dropout2(output)
        output = self.fc2(output)
        output = F.log_softmax(output, dim=1)
        return output


def main(tmp_dir):
    torch.manual_seed(0)
    y = torch.randint(0, 10, (320,))
    x = torch.randn(320, 1, 28, 28) * 0.3
    x[torch.arange(320), 0, :, :] += (torch.arange(28).view(1, 28, 1) // 3 == y.view(-1, 1, 1)).float()
    loader = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True)
    model = Net()
    optimizer = optim.Adam(model.parameters(), lr=0.01)
    scheduler = StepLR(optimizer, step_size=1, gamma=0.7)
    for epoch in range(3):
        model.train()
        correct = 0
        for data, target in loader:
            optimizer.zero_grad()
            output = model(data)
            loss = F.nll_loss(output, target)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            optimizer.step()
            correct += output.argmax(dim=1).eq(target).sum().item()
        scheduler.step()
        print(f"epoch {epoch}: loss {loss.item():.4f}, train accuracy {correct / len(loader.dataset):.3f}")
    return {"accuracy": correct / len(loader.dataset)}
