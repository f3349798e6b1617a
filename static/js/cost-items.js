// Cost rows of the proposal form, improved: "Add a cost row" adds one in place, and the total
// follows what is typed. Without this file the same button asks the server for a longer form.
(function () {
  "use strict";
  var MAX_ROWS = 30;
  var body = document.querySelector("[data-cost-rows]");
  var total = document.querySelector("[data-cost-total]");
  var addButton = document.querySelector("[data-add-row]");
  if (!body || !total) { return; }

  var lang = document.documentElement.lang || "cs";
  var currency = (document.querySelector(".cost-table th.num") || {}).textContent || "";
  var code = (currency.match(/\(([A-Z]{3})\)/) || [])[1] || "CZK";
  var format;
  try {
    format = new Intl.NumberFormat(lang === "en" ? "en-GB" : lang, {
      style: "currency", currency: code, maximumFractionDigits: 0
    });
  } catch (e) {
    format = { format: function (n) { return String(n) + " " + code; } };
  }

  function recount() {
    var sum = 0;
    body.querySelectorAll("input[name$='-amount']").forEach(function (input) {
      var value = parseInt(input.value, 10);
      if (!isNaN(value) && value > 0) { sum += value; }
    });
    total.textContent = format.format(sum);
  }

  function renumber(row, index) {
    row.querySelectorAll("input, label").forEach(function (el) {
      ["id", "name", "for"].forEach(function (attr) {
        var value = el.getAttribute(attr);
        if (value) { el.setAttribute(attr, value.replace(/cost_items-\d+-/, "cost_items-" + index + "-")); }
      });
      if (el.tagName === "LABEL") {
        el.textContent = el.textContent.replace(/\d+/, String(index + 1));
      }
    });
  }

  body.addEventListener("input", recount);
  if (addButton) {
    addButton.addEventListener("click", function (event) {
      var rows = body.querySelectorAll("tr.cost-row");
      if (rows.length === 0 || rows.length >= MAX_ROWS) { return; }  // the server answers
      event.preventDefault();
      var row = rows[rows.length - 1].cloneNode(true);
      row.classList.remove("has-error");
      row.querySelectorAll(".field-error").forEach(function (el) { el.remove(); });
      row.querySelectorAll("input").forEach(function (input) {
        input.value = "";
        input.removeAttribute("aria-invalid");
        input.removeAttribute("aria-describedby");
      });
      renumber(row, rows.length);
      body.appendChild(row);
      row.querySelector("input").focus();
    });
  }
})();
