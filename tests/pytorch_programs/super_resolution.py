"""PyTorch's super-resolution example, written again: convolutions then PixelShuffle (sub-pixel
convolution), orthogonal init with calculate_gain('relu'), MSELoss and PSNR."""
import math

import fastnn as torch
import fastnn.nn as nn
import fastnn.nn.init as init
import fastnn.nn.functional as F
import fastnn.optim as optim


class Net(nn.Module):
    def __init__(self, upscale_factor):
        super(Net, self).__init__()
        self.relu = nn.ReLU()
        self.conv1 = nn.Conv2d(1, 16, (5, 5), (1, 1), (2, 2))
        self.conv2 = nn.Conv2d(16, 16, (3, 3), (1, 1), (1, 1))
        self.conv3 = nn.Conv2d(16, 8, (3, 3), (1, 1), (1, 1))
        self.conv4 = nn.Conv2d(8, upscale_factor ** 2, (3, 3), (1, 1), (1, 1))
        self.pixel_shuffle = nn.PixelShuffle(upscale_factor)
        self._initialize_weights()

    def forward(self, x):
        x = self.relu(self.conv1(x))
        x = self.relu(self.conv2(x))
        x = self.relu(self.conv3(x))
        x = self.pixel_shuffle(self.conv4(x))
        return x

    def _initialize_weights(self):
        init.orthogonal_(self.conv1.weight, init.calculate_gain('relu'))
        init.orthogonal_(self.conv2.weight, init.calculate_gain('relu'))
        init.orthogonal_(self.conv3.weight, init.calculate_gain('relu'))
        init.orthogonal_(self.conv4.weight)


def main(tmp_dir):
    torch.manual_seed(123)
    coordinates = torch.linspace(0, 6.28, 32)
    targets = torch.stack([torch.sin(coordinates.view(1, 32) * (1 + k % 3) + coordinates.view(32, 1) * (k % 4))
                           for k in range(64)]).unsqueeze(1) * 0.5 + 0.5
    inputs = F.avg_pool2d(targets, 2)
    model = Net(upscale_factor=2)
    criterion = nn.MSELoss()
    optimizer = optim.Adam(model.parameters(), lr=0.01)
    psnrs = []
    for epoch in range(1, 31):
        optimizer.zero_grad()
        loss = criterion(model(inputs), targets)
        loss.backward()
        optimizer.step()
        with torch.no_grad():
            mse = criterion(model(inputs), targets)
            psnrs.append(10 * math.log10(1 / mse.item()))
    print("===> PSNR: {:.4f} dB -> {:.4f} dB".format(psnrs[0], psnrs[-1]))
    torch.save(model.state_dict(), f"{tmp_dir}/model_epoch_{epoch}.pth")
    return {"first_psnr": psnrs[0], "last_psnr": psnrs[-1]}
