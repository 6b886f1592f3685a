/// The whole script, served at `/assets/app.js`. Pages work without it; it only improves them.
enum Script {
    static let js = #"""
        // Procore company list: ticking one purchase-order box disables the other at once (the server enforces the
        // same rule for every client).
        document.querySelectorAll("tr[data-company]").forEach(function (row) {
          var boxes = row.querySelectorAll("input[data-po]");
          function sync() {
            boxes.forEach(function (box) {
              var other = Array.prototype.find.call(boxes, function (b) { return b !== box; });
              if (other) { other.disabled = box.checked; }
            });
            boxes.forEach(function (box) { if (box.checked) { box.disabled = false; } });
          }
          boxes.forEach(function (box) { box.addEventListener("change", sync); });
          sync();
        });
        // PO and invoice forms: choosing a project narrows every line's cost codes to that project's (issue 29), without
        // a reload; with no project chosen (an invoice whose PO decides it) all are offered. The server refuses a code
        // of another project either way.
        (function () {
          var project = document.getElementById("project");
          if (!project || project.tagName !== "SELECT") { return; }
          function narrow() {
            var chosen = project.value;
            document.querySelectorAll("select[name$='[cost_code]']").forEach(function (select) {
              select.querySelectorAll("[data-project]").forEach(function (item) {
                var other = chosen !== "" && item.getAttribute("data-project") !== chosen;
                item.hidden = other;
                item.disabled = other;
              });
              var picked = select.options[select.selectedIndex];
              if (picked && (picked.disabled || picked.parentNode.disabled)) { select.value = ""; }
            });
          }
          project.addEventListener("change", narrow);
          narrow();
        })();
        // Line tables of the PO and invoice forms (issue 29): GST worked out from the line's tax code as the amount is
        // typed, the amount a PO line will have (quantity × unit cost) shown in its empty Amount, what the invoice's
        // lines add up to, and Add line / Remove. Amounts are read as the server reads them (Money.parse: a leading $,
        // NZ$ or A$, groups of three digits); anything else is left for the server to refuse. The server works every
        // figure out again on save.
        (function () {
          var table = document.getElementById("invoice-lines") || document.getElementById("line-items");
          if (!table) { return; }
          var isInvoice = table.id === "invoice-lines";
          function scaled(text, digits) {
            var t = (text || "").trim().replace(/^(NZ\$|A\$|\$)\s?/, "");
            var negative = t.charAt(0) === "-";
            if (negative) { t = t.slice(1); }
            if (/[\s\u00a0,]/.test(t)) {
              if (!/^\d{1,3}([\s\u00a0,]\d{3})*(\.\d+)?$/.test(t)) { return null; }
              t = t.replace(/[\s\u00a0,]/g, "");
            }
            if (!/^\d+(\.\d+)?$/.test(t)) { return null; }
            var parts = t.split(".");
            var fraction = parts[1] || "";
            if (fraction.length > digits) { return null; }
            while (fraction.length < digits) { fraction += "0"; }
            var value = BigInt(parts[0] + fraction);
            return negative ? -value : value;
          }
          // n / d rounded half away from zero (Decimal's .plain, as the server rounds).
          function divide(n, d) {
            var negative = n < 0n;
            if (negative) { n = -n; }
            var q = (n * 2n + d) / (2n * d);
            return negative ? -q : q;
          }
          function money(cents, grouped) {
            var negative = cents < 0n;
            var digits = (negative ? -cents : cents).toString();
            while (digits.length < 3) { digits = "0" + digits; }
            var whole = digits.slice(0, -2);
            if (grouped) { whole = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ","); }
            return (negative ? "-" : "") + whole + "." + digits.slice(-2);
          }
          function field(row, name) { return row.querySelector("[name$='[" + name + "]']"); }
          // The GST on `cents` at the chosen tax code's rate (a fraction, "0.15"), or null without one.
          function gst(row, cents) {
            var select = field(row, "tax_code");
            var option = select && select.options[select.selectedIndex];
            var rate = option && scaled(option.getAttribute("data-rate"), 6);
            if (rate === null || rate === undefined || cents === null) { return null; }
            return divide(cents * rate, 1000000n);
          }
          function net(row) {
            var typed = field(row, "amount");
            if (isInvoice || (typed && typed.value.trim() !== "")) { return typed ? scaled(typed.value, 2) : null; }
            var quantity = scaled(field(row, "quantity").value, 4);
            var unit = scaled(field(row, "unit_cost").value, 4);
            if (quantity === null || unit === null) { return null; }
            var cents = divide(quantity * unit, 1000000n);
            typed.placeholder = money(cents, false);
            return cents;
          }
          var total = document.getElementById("lines-total");
          function update(row) {
            var cents = net(row);
            var tax = gst(row, cents);
            if (isInvoice) {
              var input = field(row, "tax");
              // Only a GST the script filled in is changed (a typed one stays), and cleared while the amount is
              // not one it can read.
              if (input && (input.value === "" || input.value === input.getAttribute("data-worked-out"))) {
                input.value = tax === null ? "" : money(tax, false);
                input.setAttribute("data-worked-out", input.value);
              }
            } else {
              var cell = row.querySelector("output.gst");
              if (cell) { cell.value = tax === null ? "" : money(tax, true); }
            }
            if (total) {
              var sum = 0n, sumTax = 0n, count = 0;
              table.querySelectorAll("tbody tr").forEach(function (line) {
                if (line.hidden) { return; }
                var amount = scaled(field(line, "amount").value, 2);
                if (amount === null) { return; }
                count += 1;
                sum += amount;
                sumTax += scaled(field(line, "tax").value, 2) || 0n;
              });
              total.textContent = count === 0 ? "" : "The lines add up to " + money(sum, true) + " excl. GST and " + money(sumTax, true)
                + " GST (" + money(sum + sumTax, true) + " incl. GST).";
            }
          }
          function wire(row) {
            if (!isInvoice && !row.querySelector("output.gst")) {
              var cell = document.createElement("td");
              var out = document.createElement("output");
              out.className = "gst";
              out.setAttribute("aria-label", "GST");
              cell.appendChild(out);
              row.appendChild(cell);
            }
            var remove = document.createElement("button");
            remove.type = "button";
            remove.className = "secondary remove-line";
            remove.textContent = "Remove";
            remove.setAttribute("aria-label", "Remove this line");
            remove.addEventListener("click", function () {
              // A cleared line is a blank one, which the server leaves out (an existing line is removed on save).
              row.querySelectorAll("input, select").forEach(function (item) { item.value = ""; });
              row.hidden = true;
              update(row);
            });
            var last = document.createElement("td");
            last.appendChild(remove);
            row.appendChild(last);
            row.querySelectorAll("input, select").forEach(function (item) {
              item.addEventListener(item.tagName === "SELECT" ? "change" : "input", function () { update(row); });
            });
            update(row);
          }
          var head = table.querySelector("thead tr");
          if (!isInvoice) { var th = document.createElement("th"); th.scope = "col"; th.textContent = "GST"; head.appendChild(th); }
          head.appendChild(document.createElement("th"));
          var body = table.querySelector("tbody");
          body.querySelectorAll("tr").forEach(wire);
          var add = document.createElement("button");
          add.type = "button";
          add.id = "add-line";
          add.className = "secondary";
          add.textContent = "Add line";
          add.addEventListener("click", function () {
            var rows = body.querySelectorAll("tr");
            var template = rows[rows.length - 1];
            var index = rows.length;
            var row = template.cloneNode(true);
            row.hidden = false;
            row.className = "line";
            row.setAttribute("data-line", String(index));
            row.querySelectorAll("input[type=hidden]").forEach(function (item) { item.remove(); });
            row.querySelectorAll("td:last-child button, output.gst").forEach(function (item) { item.parentNode.remove(); });
            row.querySelectorAll("input, select").forEach(function (item) {
              item.name = item.name.replace(/^lines\[\d+\]/, "lines[" + index + "]");
              var label = item.getAttribute("aria-label");
              if (label) { item.setAttribute("aria-label", label.replace(/^Line \d+/, "Line " + (index + 1))); }
              item.value = "";
              item.removeAttribute("data-worked-out");
              item.placeholder = "";
            });
            body.appendChild(row);
            wire(row);
            var first = row.querySelector("input");
            if (first) { first.focus(); }
          });
          var box = table.closest(".scroll") || table;
          box.parentNode.insertBefore(add, box.nextSibling);
        })();
        // Live status (issue 29): a PO or invoice page whose Procore panel says a job waits or runs reads itself again
        // every 3 s and puts each [data-refresh] part (the panel) and the stage (#status) in place as the server now shows it, with
        // no reload and no jump; it stops once nothing is pending, while the tab is hidden, and after ten minutes.
        (function () {
          if (!document.querySelector("[data-live]") || !window.fetch || !window.DOMParser) { return; }
          var started = Date.now();
          function poll() {
            if (Date.now() - started > 600000) { return; }
            if (document.hidden) { setTimeout(poll, 3000); return; }
            fetch(location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
              .then(function (response) { return response.ok ? response.text() : null; })
              .then(function (html) {
                if (!html) { return; }
                var fresh = new DOMParser().parseFromString(html, "text/html");
                var live = false;
                document.querySelectorAll("[data-refresh][id], #status").forEach(function (part) {
                  var now = fresh.getElementById(part.id);
                  if (!now) { return; }
                  if (now.hasAttribute("data-live")) { live = true; }
                  if (now.innerHTML !== part.innerHTML) { part.innerHTML = now.innerHTML; }
                  if (!now.hasAttribute("data-live")) { part.removeAttribute("data-live"); }
                });
                if (live) { setTimeout(poll, 3000); }
              })
              .catch(function () { setTimeout(poll, 10000); });
          }
          setTimeout(poll, 3000);
        })();
        // Environment: the custom URLs matter only for Custom.
        (function () {
          var env = document.getElementById("environment");
          if (!env) { return; }
          function toggle() {
            ["auth_base_url", "api_base_url"].forEach(function (id) {
              var input = document.getElementById(id);
              if (input) { input.disabled = env.value !== "custom"; }
            });
          }
          env.addEventListener("change", toggle);
          toggle();
        })();
        """#
}
