#!/usr/bin/env python3
# -*- coding: utf-8 -*-
"""
A small CNN, written with "odd" formatting: comments everywhere, backslash
continuations, triple-quoted strings ('''like this'''), semicolons and tabs.
"""
from __future__ import annotations

import torch ; import torch.nn as nn  # two imports on one line
import torch.nn.functional as F
from typing import Optional

NUM_CLASSES = 10
WIDTH = 2 ** 4  # 16


class Net (nn.Module) :
	'''Tab-indented class body.'''
	def __init__(self,
	             width: int = WIDTH,
	             num_classes: Optional[int] = NUM_CLASSES,
	             ):
		super(Net, self).__init__()
		self.conv1 = nn.Conv2d(in_channels=3, out_channels=width,
		                       kernel_size=(3, 3), stride=(1, 1),
		                       padding=(1, 1))  # same size
		self.conv2 = nn.Conv2d(width, width * 2, 3, 1, 1)
		hidden = width * 2 * \
		         8 * 8
		self.fc1 = nn.Linear(hidden,
		                     128,)
		self.fc2 = nn.Linear(128, num_classes)   ;   self.dropout = nn.Dropout(0.25)
		"""A stray docstring in the middle."""
		pass

	# forward pass
	def forward(self, x: torch.Tensor) -> torch.Tensor:
		x = F.max_pool2d(F.relu(self.conv1(x)), 2)   # 16x16
		x = F.max_pool2d(
			F.relu(
				self.conv2(x)
			),
			kernel_size=2,
		)
		x = torch.flatten(x, 1)
		x = self.dropout(F.relu(self.fc1(x)))
		return self.fc2(x)


if __name__ == "__main__":
	model = Net()
	with torch.no_grad():
		out = model(torch.randn(2, 3, 32, 32))
	print(f"output shape: {out.shape}")
	print(sum(p.numel() for p in model.parameters()))
