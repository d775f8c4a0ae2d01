// Every call to the app: the key from sessionStorage as x-functions-key; every error as its Chinese message.
import { session } from './session.js';

export class ApiError extends Error {
  constructor(message, status, code, problem = null) {
    super(message);
    this.status = status;
    this.code = code;
    // The whole problem details, for what some answers add (e.g. remittance-mismatch: foundPeople, foundAmount).
    this.problem = problem;
  }
}

const fallback = {
  400: '请求无效', 401: '密钥无效或已失效，请重新登录', 403: '当前角色无权执行此操作', 404: '未找到', 409: '操作冲突，请刷新后重试',
  413: '文件过大', 422: '无法办理', 500: '服务器内部错误，请稍后重试', 503: '服务暂不可用，请稍后重试',
};

/** The Chinese message of a failed answer: detailZh of its problem details, else a sentence for its status. */
export function chineseError(status, text) {
  try {
    const problem = JSON.parse(text);
    if (problem && typeof problem === 'object') {
      const message = problem.detailZh || fallback[status] || '请求失败';
      return new ApiError(message, status, problem.code, problem);
    }
  } catch { /* not JSON */ }
  return new ApiError(fallback[status] || `请求失败（${status}）`, status);
}

function headers(extra = {}, key = session.key) {
  return { ...(key ? { 'x-functions-key': key } : {}), ...extra };
}

export async function api(path, { method = 'GET', body, key, raw = false } = {}) {
  let response;
  try {
    response = await fetch(path, {
      method,
      headers: headers(body !== undefined ? { 'Content-Type': 'application/json' } : {}, key),
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
  } catch {
    throw new ApiError('无法连接服务器，请检查网络后重试', 0);
  }
  if (!response.ok) throw chineseError(response.status, await response.text());
  if (raw) return response;
  const type = response.headers.get('content-type') || '';
  return type.includes('json') ? response.json() : response.text();
}

/** PUT (or POST) a file with upload progress (0–100) reported to onProgress; resolves with the JSON answer. */
export function upload(path, file, onProgress, method = 'PUT') {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(method, path);
    for (const [k, v] of Object.entries(headers({ 'Content-Type': 'application/octet-stream' }))) xhr.setRequestHeader(k, v);
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) onProgress?.(Math.round((e.loaded / e.total) * 100)); };
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress?.(100);
        try { resolve(JSON.parse(xhr.responseText)); } catch { resolve({}); }
      } else reject(chineseError(xhr.status, xhr.responseText));
    };
    xhr.onerror = () => reject(new ApiError('上传失败：无法连接服务器', 0));
    xhr.send(file);
  });
}

/** Downloads what the API answers (a CSV) under fileName, with the key in the header (never in the URL). */
export async function download(path, fileName) {
  save(await (await api(path, { raw: true })).blob(), fileName);
}

/** POSTs a file and downloads what the API answers (e.g. the rejected rows of a roster check) under fileName. */
export async function downloadPosted(path, file, fileName) {
  let response;
  try {
    response = await fetch(path, { method: 'POST', headers: headers({ 'Content-Type': 'application/octet-stream' }), body: file });
  } catch {
    throw new ApiError('无法连接服务器，请检查网络后重试', 0);
  }
  if (!response.ok) throw chineseError(response.status, await response.text());
  save(await response.blob(), fileName);
}

function save(blob, fileName) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** Polls fn every intervalMs until it returns true or the time runs out. */
export async function poll(fn, { intervalMs = 1000, timeoutMs = 10 * 60 * 1000 } = {}) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await fn()) return true;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  return false;
}
