/// The whole script, served at `/assets/app.js`. Pages work without it; it only improves them.
enum Script {
    static let js = """
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
        """
}
