import { register, signIn } from "./api.js";
import { errorBox, frame } from "./layout.js";
import { config } from "/config.js";

await frame("signin");
const form = document.getElementById("signin-form");
const title = document.getElementById("signin-title");
const submit = form.querySelector("button[type=submit]");
const toggle = document.getElementById("toggle-mode");
let creating = false;

// Only same-site paths: an open redirect (?next=https://evil.example) would be a phishing aid.
const next = new URLSearchParams(location.search).get("next");
const target = next && next.startsWith("/") && !next.startsWith("//") ? next : "/";

document.getElementById("demo-email").textContent = config.demo.email;
document.getElementById("demo-password").textContent = config.demo.password;
document.getElementById("use-demo").addEventListener("click", () => {
  form.email.value = config.demo.email;
  form.password.value = config.demo.password;
});

toggle.addEventListener("click", () => {
  creating = !creating;
  title.textContent = creating ? "Create an account" : "Sign in";
  submit.textContent = creating ? "Create account" : "Sign in";
  toggle.textContent = creating ? "I already have an account" : "New here? Create an account";
  form.password.autocomplete = creating ? "new-password" : "current-password";
});

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  form.querySelector(".alert")?.remove();
  submit.disabled = true;
  try {
    const email = form.email.value;
    const password = form.password.value;
    await (creating ? register(email, password) : signIn(email, password));
    location.assign(target);
  } catch (error) {
    form.prepend(errorBox(error));
    submit.disabled = false;
  }
});
