// The login form: POST /cerebro/login as JSON (a cross-site form cannot
// send that), then the console.
"use strict";

document.getElementById("login").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const error = document.getElementById("error");
  error.textContent = "";
  let r;
  try {
    r = await fetch("/cerebro/login", {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json"},
      body: JSON.stringify({
        user: document.getElementById("user").value,
        password: document.getElementById("password").value,
      }),
    });
  } catch (e) {
    error.textContent = "No hay conexión con el servidor.";
    return;
  }
  if (r.ok) {
    window.location.assign("/cerebro/");
    return;
  }
  const body = await r.json().catch(() => ({}));
  error.textContent = r.status === 429
    ? "Demasiados intentos fallidos: espere unos minutos."
    : (body.error || "No se pudo entrar.");
});
