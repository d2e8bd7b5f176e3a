#!/usr/bin/env bash
# Chinese PDFs (WeasyPrint) need a CJK font. Install Debian's Noto CJK when we can, else say how.
set -uo pipefail
if fc-list :lang=zh 2>/dev/null | grep -q .; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "安装中文字体 fonts-noto-cjk…"
  (apt-get install -y -qq fonts-noto-cjk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq fonts-noto-cjk >/dev/null; }) \
    && fc-cache -f >/dev/null && exit 0
fi
cat >&2 <<'MSG'
未找到中文字体，PDF 中的汉字将无法显示。请执行 / No CJK font found; PDFs need one. Run:
    sudo apt-get install fonts-noto-cjk      (Debian/Ubuntu)
    sudo dnf install google-noto-sans-cjk-fonts   (Fedora/RHEL)
MSG
exit 0
