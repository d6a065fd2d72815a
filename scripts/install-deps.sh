#!/usr/bin/env bash
# Installs every Debian 12 package fastchat needs to build, test and run (DESIGN §2).
set -euo pipefail
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends \
  build-essential cmake ninja-build pkg-config git ca-certificates clang-format \
  libasio-dev libssl-dev libprotobuf-dev protobuf-compiler libsodium-dev \
  libsqlite3-dev sqlite3 libpq-dev postgresql libhiredis-dev redis-server openssl \
  libspdlog-dev libfmt-dev libcli11-dev prometheus-cpp-dev libedit-dev \
  libzxcvbn-dev libkeyutils-dev libgtest-dev libgmock-dev libbenchmark-dev tmux procps iproute2 gnuplot-nox \
  qt6-base-dev qt6-qpa-plugins libgl-dev fonts-dejavu-core xvfb xauth imagemagick \
  tesseract-ocr tesseract-ocr-eng
