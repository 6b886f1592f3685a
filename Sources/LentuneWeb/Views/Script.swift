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
