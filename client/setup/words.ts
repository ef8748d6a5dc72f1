/**
 * @module client/setup/words
 * The words of the device set-up page (/setup), in Simplified Chinese and English. Kept beside
 * the page rather than in client/i18n.ts so the page stays in its own files; the language is the
 * one client/i18n.ts chose (`lang()`), and the same switch changes it.
 */
import { lang } from '../i18n.ts';

const zh = {
  title: '设备准备：信任本系统的证书',
  intro: '本系统在会场网络上使用加密连接（HTTPS）。每台平板和监票人设备首次使用前，需安装并信任本系统的证书颁发机构（CA）证书，只需一次。',
  fingerprint: '证书指纹（SHA-256）',
  compare: '安装前请核对：设备上显示的指纹必须与此处及服务器启动时打印的指纹完全一致，否则不要安装，并告知会务人员。',
  download: '下载 CA 证书',
  scan: '用平板扫描二维码下载证书：',
  android: 'Android：打开下载的文件，或在“设置 → 安全 → 加密与凭据 → 安装证书 → CA 证书”中选择它。',
  ios: 'iPad / iPhone：下载后在“设置 → 已下载描述文件”中安装，再到“设置 → 通用 → 关于本机 → 证书信任设置”中打开对它的完全信任。',
  windows: 'Windows / macOS：双击证书，放入“受信任的根证书颁发机构”（macOS：钥匙串中设为“始终信任”）。',
  then: '安装后打开：',
  constrained: '此证书只能为本地网络地址（如 192.168.x.x、10.x.x.x）和本地名称签发证书，不能冒充任何互联网网站。',
  organization: '本服务器使用所在单位自己的证书，设备无需另外安装证书。',
  plain: '警告：本服务器以明文 HTTP 运行（仅供实验），网络上的任何人都能看到登录码和投票数据。不得用于正式会议。',
  https: '本页面已通过 HTTPS 安全打开：本设备已信任本系统的证书。',
  notYet: '本页面尚未通过受信任的 HTTPS 打开。',
  loading: '正在读取……',
  failed: '无法读取服务器信息，请刷新页面。',
};

const en: Record<keyof typeof zh, string> = {
  title: 'Device set-up: trust this system’s certificate',
  intro: 'This system uses encrypted connections (HTTPS) on the room network. Before first use, every tablet and scrutineer device installs and trusts this system’s certificate authority (CA) certificate — once.',
  fingerprint: 'Certificate fingerprint (SHA-256)',
  compare: 'Before installing, compare: the fingerprint the device shows must equal this one and the one the server printed at start. If it differs, do not install it; tell the secretary.',
  download: 'Download the CA certificate',
  scan: 'Scan the QR code with a tablet to download the certificate:',
  android: 'Android: open the downloaded file, or choose it under Settings → Security → Encryption & credentials → Install a certificate → CA certificate.',
  ios: 'iPad / iPhone: after the download, install it under Settings → Profile Downloaded, then turn on full trust under Settings → General → About → Certificate Trust Settings.',
  windows: 'Windows / macOS: double-click the certificate and place it in “Trusted Root Certification Authorities” (macOS: set it to “Always Trust” in Keychain).',
  then: 'Then open:',
  constrained: 'This CA can only vouch for local-network addresses (such as 192.168.x.x, 10.x.x.x) and local names; it cannot impersonate any web site on the internet.',
  organization: 'This server uses its organization’s own certificate; devices need not install anything.',
  plain: 'Warning: this server runs on plain HTTP (lab use only); anybody on the network can read sign-in codes and votes. Never use it for a real meeting.',
  https: 'This page was opened over trusted HTTPS: this device already trusts this system’s certificate.',
  notYet: 'This page was not opened over trusted HTTPS yet.',
  loading: 'Loading…',
  failed: 'Could not read the server’s details. Reload the page.',
};

/** A word of the set-up page in the current language (reactive). */
export function w(key: keyof typeof zh): string {
  return lang() === 'en' ? en[key] : zh[key];
}
