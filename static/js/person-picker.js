// Finds a record of the register of persons at risk for a victim row's key field: as the user
// types two or more characters, the text goes to the server in a POST body (never in a URL,
// where logs and history would keep a name) and the matches show in a list under the field;
// picking one (click, or arrow keys and Enter) fills in its key. Typing a key by hand always
// works, with or without an answer. Nothing is kept in the browser's storage.
(function () {
  "use strict";
  const form = document.querySelector("form[data-person-search]");
  if (!form || !window.fetch) return;
  const url = form.dataset.personSearch;
  const organisationLabel = form.dataset.organisationLabel || "";
  const WAIT_MS = 250;
  const MIN_CHARS = 2;
  let listCount = 0;

  function csrfToken() {
    const el = form.querySelector("input[name=csrf_token]");
    return el ? el.value : "";
  }

  // One list per field, made the first time the field is typed in.
  function listOf(input) {
    if (input.personList) return input.personList;
    const list = document.createElement("ul");
    list.className = "person-matches";
    list.id = "person-matches-" + ++listCount;
    list.setAttribute("role", "listbox");
    list.hidden = true;
    input.after(list);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-controls", list.id);
    input.setAttribute("aria-expanded", "false");
    input.personList = list;
    return list;
  }

  function close(input) {
    const list = input.personList;
    if (!list) return;
    list.hidden = true;
    list.replaceChildren();
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  }

  function options(input) {
    return input.personList ? Array.from(input.personList.querySelectorAll("[role=option]")) : [];
  }

  function highlight(input, index) {
    const all = options(input);
    all.forEach(function (option, i) { option.setAttribute("aria-selected", i === index ? "true" : "false"); });
    if (all[index]) {
      input.setAttribute("aria-activedescendant", all[index].id);
      all[index].scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }

  function pick(input, key) {
    input.value = key;
    close(input);
    input.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function show(input, results) {
    const list = listOf(input);
    list.replaceChildren();
    results.forEach(function (result, i) {
      const option = document.createElement("li");
      option.id = list.id + "-" + i;
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", "false");
      option.dataset.key = result.key;
      const name = document.createElement("span");
      name.textContent = result.name || result.key;
      const key = document.createElement("span");
      key.className = "key";
      key.textContent = result.key + (result.kind === "organisation" && organisationLabel ? " · " + organisationLabel : "");
      option.append(name, " ", key);
      // mousedown, not click: it comes before the field loses focus and closes the list
      option.addEventListener("mousedown", function (event) {
        event.preventDefault();
        pick(input, result.key);
      });
      list.append(option);
    });
    list.hidden = results.length === 0;
    input.setAttribute("aria-expanded", results.length ? "true" : "false");
  }

  async function search(input, text) {
    if (input.personSearch) input.personSearch.abort();
    const controller = new AbortController();
    input.personSearch = controller;
    try {
      const answer = await fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken() },
        body: JSON.stringify({ q: text }),
        signal: controller.signal,
      });
      if (!answer.ok) return close(input);
      const body = await answer.json();
      // an answer to older text, or to a field the user has left, is not shown
      if (input.value.trim() !== text || document.activeElement !== input) return;
      show(input, Array.isArray(body.results) ? body.results : []);
    } catch (e) {
      close(input); // no signal, or a newer search: the key typed by hand stays as it is
    }
  }

  form.addEventListener("input", function (event) {
    const input = event.target;
    if (!input.matches || !input.matches("input[data-person-picker]")) return;
    clearTimeout(input.personTimer);
    const text = input.value.trim();
    if (text.length < MIN_CHARS) return close(input);
    input.personTimer = setTimeout(function () { search(input, text); }, WAIT_MS);
  });

  form.addEventListener("keydown", function (event) {
    const input = event.target;
    if (!input.matches || !input.matches("input[data-person-picker]") || !input.personList || input.personList.hidden) return;
    const all = options(input);
    let index = all.findIndex(function (option) { return option.getAttribute("aria-selected") === "true"; });
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      index = event.key === "ArrowDown" ? (index + 1) % all.length : (index <= 0 ? all.length : index) - 1;
      highlight(input, index);
    } else if (event.key === "Enter" && index >= 0) {
      event.preventDefault(); // pick, rather than submit the form
      pick(input, all[index].dataset.key);
    } else if (event.key === "Escape") {
      event.preventDefault();
      close(input);
    }
  });

  form.addEventListener("focusout", function (event) {
    if (event.target.matches && event.target.matches("input[data-person-picker]")) close(event.target);
  });
})();
