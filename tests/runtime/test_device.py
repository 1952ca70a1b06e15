import os

import pytest

from attnlab.runtime.device import device_name


def test_device_name_names_the_cpu_and_its_cores():
    name = device_name("cpu")
    assert name.endswith(f", {os.cpu_count()} cores") and len(name) > len(f", {os.cpu_count()} cores")


def test_device_name_names_a_bad_device():
    with pytest.raises(ValueError, match="^device must be one of"):
        device_name("tpu")
