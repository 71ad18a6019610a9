// Seals a record before it is stored on the phone, as ODK's encrypted forms do: a fresh
// AES-256-GCM key per record encrypts it, and the server's RSA-OAEP public key wraps that key.
// The phone cannot open what it sealed; the server (tracker/offline/sealing.py) can. The
// record's UUID is bound in as associated data.
(function () {
  "use strict";
  const encoder = new TextEncoder();

  function base64(buffer) {
    let text = "";
    new Uint8Array(buffer).forEach(function (byte) { text += String.fromCharCode(byte); });
    return btoa(text);
  }

  async function seal(content, uuid, jwk) {
    const publicKey = await crypto.subtle.importKey("jwk", jwk, { name: "RSA-OAEP", hash: "SHA-256" }, false, ["wrapKey"]);
    const key = await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, true, ["encrypt"]);
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const data = await crypto.subtle.encrypt(
      { name: "AES-GCM", iv: iv, additionalData: encoder.encode(uuid) }, key, encoder.encode(JSON.stringify(content)));
    const wrapped = await crypto.subtle.wrapKey("raw", key, publicKey, { name: "RSA-OAEP" });
    return { v: 1, kid: jwk.kid, uuid: uuid, key: base64(wrapped), iv: base64(iv), data: base64(data) };
  }

  window.trackerSeal = { seal: seal };
})();
