/**
 * QR codes as SVG text, the encoder loaded on first use: only receipts and a supervisor's
 * enrolment and authenticator screens draw one, so the app starts without it.
 */
import type { QRCodeToStringOptions } from 'qrcode';

export async function qrSvg(text: string, options: QRCodeToStringOptions): Promise<string> {
  const QRCode = (await import('qrcode')).default;
  return QRCode.toString(text, options);
}
