/// The OpenAPI 3.1 document of `/api/v1`, served at `/api/v1/openapi.json`. Hand-written and kept next to the
/// handlers; a test checks that every documented path answers.
enum OpenAPI {
    static let document = #"""
    {
      "openapi": "3.1.0",
      "info": {
        "title": "Lentune API",
        "version": "1.0.0",
        "description": "Lentune's JSON API. Authenticate with `Authorization: Bearer <token>` (create one with `lentune user token --email EMAIL`). Errors are RFC 9457 problem documents. Integration settings are for administrators only."
      },
      "servers": [{ "url": "/api/v1" }],
      "security": [{ "bearer": [] }],
      "paths": {
        "/projects": {
          "get": {
            "summary": "Projects: Lentune's and those imported from Procore (by the company row's stages)",
            "operationId": "listProjects",
            "parameters": [
              { "$ref": "#/components/parameters/PerPage" }, { "$ref": "#/components/parameters/After" }
            ],
            "responses": {
              "200": { "$ref": "#/components/responses/ReferencePage" },
              "400": { "$ref": "#/components/responses/Problem" },
              "401": { "$ref": "#/components/responses/Problem" }
            }
          }
        },
        "/suppliers": {
          "get": {
            "summary": "Suppliers, with the Procore vendor each is linked to",
            "operationId": "listSuppliers",
            "parameters": [
              { "$ref": "#/components/parameters/PerPage" }, { "$ref": "#/components/parameters/After" }
            ],
            "responses": {
              "200": { "$ref": "#/components/responses/ReferencePage" },
              "400": { "$ref": "#/components/responses/Problem" },
              "401": { "$ref": "#/components/responses/Problem" }
            }
          }
        },
        "/cost-codes": {
          "get": {
            "summary": "Cost codes of one project",
            "operationId": "listCostCodes",
            "parameters": [
              { "name": "project", "in": "query", "required": true, "schema": { "type": "string", "format": "uuid" } },
              { "$ref": "#/components/parameters/PerPage" }, { "$ref": "#/components/parameters/After" }
            ],
            "responses": {
              "200": { "$ref": "#/components/responses/ReferencePage" },
              "400": { "$ref": "#/components/responses/Problem" },
              "401": { "$ref": "#/components/responses/Problem" },
              "404": { "$ref": "#/components/responses/Problem" }
            }
          }
        },
        "/cost-types": {
          "get": {
            "summary": "Cost types (Procore line item types)",
            "operationId": "listCostTypes",
            "parameters": [
              { "$ref": "#/components/parameters/PerPage" }, { "$ref": "#/components/parameters/After" }
            ],
            "responses": {
              "200": { "$ref": "#/components/responses/ReferencePage" },
              "400": { "$ref": "#/components/responses/Problem" },
              "401": { "$ref": "#/components/responses/Problem" }
            }
          }
        },
        "/tax-codes": {
          "get": {
            "summary": "Tax codes",
            "operationId": "listTaxCodes",
            "parameters": [
              { "$ref": "#/components/parameters/PerPage" }, { "$ref": "#/components/parameters/After" }
            ],
            "responses": {
              "200": { "$ref": "#/components/responses/ReferencePage" },
              "400": { "$ref": "#/components/responses/Problem" },
              "401": { "$ref": "#/components/responses/Problem" }
            }
          }
        },
        "/purchase-orders": {
          "get": {
            "summary": "Purchase orders, newest first, with search and filters",
            "operationId": "listPurchaseOrders",
            "parameters": [
              { "name": "q", "in": "query", "schema": { "type": "string", "maxLength": 200, "pattern": "^[^\\u0000-\\u0008\\u000B-\\u001F\\u007F-\\u009F]*$" }, "description": "Number or title contains, ignoring case (% and _ are literal)" },
              { "name": "project", "in": "query", "schema": { "type": "string", "format": "uuid" } },
              { "name": "supplier", "in": "query", "schema": { "type": "string", "format": "uuid" } },
              { "name": "status", "in": "query", "schema": { "type": "string", "enum": ["draft", "awaiting_approval", "approved", "closed"] } },
              { "name": "source", "in": "query", "schema": { "type": "string", "enum": ["lentune", "procore"] } },
              { "name": "sync", "in": "query", "schema": { "type": "string", "enum": ["not_synced", "pending", "synced", "failed", "skipped", "changed_in_procore"] } },
              { "name": "page", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 1000000 } },
              { "name": "per_page", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 200 } },
              { "name": "after", "in": "query", "schema": { "type": "string", "minLength": 1, "maxLength": 200, "pattern": "^[A-Za-z0-9_-]+$" }, "description": "The next_cursor of the previous page: the rows after it, at the same cost on every page (page is then only the number reported)" },
              { "name": "before", "in": "query", "schema": { "type": "string", "minLength": 1, "maxLength": 200, "pattern": "^[A-Za-z0-9_-]+$" }, "description": "The previous_cursor of the next page: the rows before it" }
            ],
            "responses": {
              "200": { "description": "A page", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/PurchaseOrderPage" } } } },
              "400": { "$ref": "#/components/responses/Problem" },
              "401": { "$ref": "#/components/responses/Problem" }
            }
          },
          "post": {
            "summary": "Create a Lentune purchase order (refused with 409 when the project's Procore company has Procore purchase order ticked)",
            "description": "422 when the body is well-formed but names a supplier, project, cost code, cost type or tax code that is not one of the organisation's, or when an amount or the total is over 999,999,999,999.99: checks only the server can make.",
            "operationId": "createPurchaseOrder",
            "parameters": [
              { "name": "Idempotency-Key", "in": "header", "schema": { "type": "string", "minLength": 1, "maxLength": 200, "pattern": "^[!-~]([ -~]*[!-~])?$" },
                "description": "Makes a retried create safe: a repeat with the same key creates nothing and answers 200 with the PO the first request created (header Idempotent-Replayed: true)" }
            ],
            "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/PurchaseOrderWrite" } } } },
            "responses": {
              "201": { "description": "Created", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/PurchaseOrder" } } } },
              "200": { "description": "Already created by a request with the same Idempotency-Key", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/PurchaseOrder" } } } },
              "400": { "$ref": "#/components/responses/Problem" },
              "401": { "$ref": "#/components/responses/Problem" },
              "403": { "$ref": "#/components/responses/Problem" },
              "409": { "$ref": "#/components/responses/Problem" },
              "413": { "$ref": "#/components/responses/Problem" },
              "415": { "$ref": "#/components/responses/Problem" },
              "422": { "$ref": "#/components/responses/Problem" }
            }
          }
        },
        "/purchase-orders/{id}": {
          "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "string", "format": "uuid" } }],
          "get": {
            "summary": "One purchase order with its lines and totals",
            "operationId": "getPurchaseOrder",
            "responses": {
              "200": { "description": "The PO", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/PurchaseOrder" } } } },
              "401": { "$ref": "#/components/responses/Problem" },
              "404": { "$ref": "#/components/responses/Problem" }
            }
          },
          "put": {
            "summary": "Replace a draft or awaiting-approval PO (it returns to draft). A PO from Procore, or of a Procore-sourced company, answers 409.",
            "operationId": "updatePurchaseOrder",
            "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/PurchaseOrderWrite" } } } },
            "responses": {
              "200": { "description": "The saved PO", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/PurchaseOrder" } } } },
              "401": { "$ref": "#/components/responses/Problem" },
              "403": { "$ref": "#/components/responses/Problem" },
              "404": { "$ref": "#/components/responses/Problem" },
              "409": { "$ref": "#/components/responses/Problem" },
              "415": { "$ref": "#/components/responses/Problem" },
              "422": { "$ref": "#/components/responses/Problem" }
            }
          }
        },
        "/purchase-orders/{id}/{action}": {
          "parameters": [
            { "name": "id", "in": "path", "required": true, "schema": { "type": "string", "format": "uuid" } },
            { "name": "action", "in": "path", "required": true, "schema": { "type": "string", "enum": ["submit", "approve", "close", "reopen"] } }
          ],
          "post": {
            "summary": "Submit (auto-approves within the raiser's limit), approve (approvers and administrators) or close",
            "operationId": "purchaseOrderAction",
            "responses": {
              "200": { "description": "The PO after the action", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/PurchaseOrder" } } } },
              "401": { "$ref": "#/components/responses/Problem" },
              "403": { "$ref": "#/components/responses/Problem" },
              "404": { "$ref": "#/components/responses/Problem" },
              "409": { "$ref": "#/components/responses/Problem" }
            }
          }
        },
        "/invoices": {
          "get": {
            "summary": "Supplier invoices, newest first, keyset-paged (pass next_cursor as after=)",
            "operationId": "listInvoices",
            "parameters": [
              { "name": "status", "in": "query", "schema": { "type": "string", "enum": ["unchecked", "awaiting_approval", "approved", "posted", "held"] } },
              { "name": "supplier_id", "in": "query", "schema": { "type": "string", "format": "uuid" } },
              { "name": "project_id", "in": "query", "schema": { "type": "string", "format": "uuid" } },
              { "name": "posting", "in": "query", "schema": { "type": "string", "enum": ["not_synced", "pending", "synced", "failed", "skipped", "changed_in_procore"] } },
              { "name": "per_page", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 200 } },
              { "name": "after", "in": "query", "schema": { "type": "string", "minLength": 1, "maxLength": 600, "pattern": "^[A-Za-z0-9_-]+$" } },
              { "name": "before", "in": "query", "schema": { "type": "string", "minLength": 1, "maxLength": 600, "pattern": "^[A-Za-z0-9_-]+$" }, "description": "The previous_cursor of a page: the rows before it (not with after: 400). A cursor is opaque: only one this list gave names a place in it; any other is a 400 naming the parameter" }
            ],
            "responses": {
              "200": { "description": "A page", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/InvoicePage" } } } },
              "400": { "$ref": "#/components/responses/Problem" },
              "401": { "$ref": "#/components/responses/Problem" }
            }
          },
          "post": {
            "summary": "Capture a supplier invoice (Unchecked), optionally with its PDF (base64, at most 20 MB, really a PDF)",
            "description": "422 when the body is well-formed but breaks a rule only the server can check: totals or lines that do not add up, tax above the amount, dates out of range, a duplicate invoice number for the supplier, a file that is not a PDF, or a supplier, project, PO, approver, cost code, cost type or tax code that is not the organisation's.",
            "operationId": "captureInvoice",
            "parameters": [
              { "name": "Idempotency-Key", "in": "header", "schema": { "type": "string", "minLength": 1, "maxLength": 200, "pattern": "^[!-~]([ -~]*[!-~])?$" },
                "description": "Makes a retried create safe: a request with a key already used answers 200 with the invoice that request captured (header Idempotent-Replayed: true), and captures nothing" }
            ],
            "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/InvoiceWrite" } } } },
            "responses": {
              "201": { "description": "Captured", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Invoice" } } } },
              "200": { "description": "Already captured by a request with the same Idempotency-Key", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Invoice" } } } },
              "400": { "$ref": "#/components/responses/Problem" },
              "401": { "$ref": "#/components/responses/Problem" },
              "403": { "$ref": "#/components/responses/Problem" },
              "413": { "$ref": "#/components/responses/Problem" },
              "415": { "$ref": "#/components/responses/Problem" },
              "422": { "$ref": "#/components/responses/Problem" }
            }
          }
        },
        "/invoices/{id}": {
          "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "string", "format": "uuid" } }],
          "get": {
            "summary": "One invoice with its lines, allocations and posting state",
            "operationId": "getInvoice",
            "responses": {
              "200": { "description": "The invoice", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Invoice" } } } },
              "401": { "$ref": "#/components/responses/Problem" },
              "404": { "$ref": "#/components/responses/Problem" }
            }
          },
          "put": {
            "summary": "Replace an unchecked invoice's content (and its PDF when one is sent)",
            "operationId": "updateInvoice",
            "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/InvoiceWrite" } } } },
            "responses": {
              "200": { "description": "The saved invoice", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Invoice" } } } },
              "401": { "$ref": "#/components/responses/Problem" },
              "403": { "$ref": "#/components/responses/Problem" },
              "404": { "$ref": "#/components/responses/Problem" },
              "409": { "$ref": "#/components/responses/Problem" },
              "413": { "$ref": "#/components/responses/Problem" },
              "415": { "$ref": "#/components/responses/Problem" },
              "422": { "$ref": "#/components/responses/Problem" }
            }
          }
        },
        "/invoices/{id}/document": {
          "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "string", "format": "uuid" } }],
          "get": {
            "summary": "The invoice's PDF",
            "operationId": "getInvoiceDocument",
            "responses": {
              "200": { "description": "The PDF", "content": { "application/pdf": { "schema": { "type": "string", "format": "binary" } } } },
              "401": { "$ref": "#/components/responses/Problem" },
              "404": { "$ref": "#/components/responses/Problem" }
            }
          }
        },
        "/invoices/{id}/{action}": {
          "parameters": [
            { "name": "id", "in": "path", "required": true, "schema": { "type": "string", "format": "uuid" } },
            { "name": "action", "in": "path", "required": true, "schema": { "type": "string", "enum": ["check", "approve", "send_back", "reverse_approval", "send_now"] } }
          ],
          "post": {
            "summary": "Checked (coding complete, approver assigned), approve (accept_over_allocation when a PO line is over-allocated), send back (with a reason), reverse an approval, or send now to Procore",
            "operationId": "invoiceAction",
            "requestBody": { "required": false, "content": { "application/json": { "schema": {
              "type": "object", "properties": { "reason": { "type": "string", "maxLength": 1000 }, "accept_over_allocation": { "type": "boolean" } } } } } },
            "responses": {
              "200": { "description": "The invoice after the action", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Invoice" } } } },
              "401": { "$ref": "#/components/responses/Problem" },
              "403": { "$ref": "#/components/responses/Problem" },
              "404": { "$ref": "#/components/responses/Problem" },
              "409": { "$ref": "#/components/responses/Problem" },
              "415": { "$ref": "#/components/responses/Problem" },
              "422": { "$ref": "#/components/responses/Problem" }
            }
          }
        },
        "/procore/connection": {
          "get": {
            "summary": "The organisation's Procore connection (never its secret or tokens)",
            "operationId": "getProcoreConnection",
            "responses": {
              "200": { "description": "The connection", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Connection" } } } },
              "401": { "$ref": "#/components/responses/Problem" },
              "403": { "$ref": "#/components/responses/Problem" },
              "404": { "$ref": "#/components/responses/Problem" }
            }
          },
          "put": {
            "summary": "Create or replace the organisation's Procore connection (administrators)",
            "description": "The same checks as the Connection settings page. `client_secret` is write-only: left out, the stored one is kept. Changing the environment, client or secret forgets the tokens until the next test. 422 names each field that is not valid.",
            "operationId": "saveProcoreConnection",
            "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ConnectionWrite" } } } },
            "responses": {
              "200": { "description": "The saved connection", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Connection" } } } },
              "401": { "$ref": "#/components/responses/Problem" },
              "403": { "$ref": "#/components/responses/Problem" },
              "415": { "$ref": "#/components/responses/Problem" },
              "422": { "$ref": "#/components/responses/Problem" }
            }
          }
        },
        "/procore/connection/test": {
          "post": {
            "summary": "Test the connection: sign in to Procore and load the Procore company list",
            "operationId": "testProcoreConnection",
            "responses": {
              "200": { "description": "The outcome: connected with the companies it can see, or Procore's refusal", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ConnectionTest" } } } },
              "401": { "$ref": "#/components/responses/Problem" },
              "403": { "$ref": "#/components/responses/Problem" },
              "404": { "$ref": "#/components/responses/Problem" }
            }
          }
        },
        "/procore/companies": {
          "get": {
            "summary": "The Procore company list",
            "operationId": "listProcoreCompanies",
            "responses": {
              "200": {
                "description": "Every row of the Procore company list",
                "content": { "application/json": { "schema": { "type": "object", "required": ["data"], "properties": { "data": { "type": "array", "items": { "$ref": "#/components/schemas/Company" } } } } } }
              },
              "401": { "$ref": "#/components/responses/Problem" },
              "403": { "$ref": "#/components/responses/Problem" }
            }
          }
        },
        "/procore/companies/{id}": {
          "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "string", "format": "uuid" } }],
          "get": {
            "summary": "One row of the Procore company list",
            "operationId": "getProcoreCompany",
            "responses": {
              "200": { "description": "The row", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Company" } } } },
              "401": { "$ref": "#/components/responses/Problem" },
              "403": { "$ref": "#/components/responses/Problem" },
              "404": { "$ref": "#/components/responses/Problem" }
            }
          },
          "put": {
            "summary": "Replace a row's settings: where purchase orders are created, linking, stages, rounding tolerance",
            "description": "Procore purchase order and Lentune purchase order cannot both be true (422). `version` must be the one last read; if someone saved since, the answer is 409 and nothing is stored. Every change is audited.",
            "operationId": "updateProcoreCompany",
            "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/CompanyUpdate" } } } },
            "responses": {
              "200": { "description": "The saved row (with its new version)", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Company" } } } },
              "400": { "$ref": "#/components/responses/Problem" },
              "401": { "$ref": "#/components/responses/Problem" },
              "403": { "$ref": "#/components/responses/Problem" },
              "404": { "$ref": "#/components/responses/Problem" },
              "409": { "$ref": "#/components/responses/Problem" },
              "415": { "$ref": "#/components/responses/Problem" },
              "422": { "$ref": "#/components/responses/Problem" }
            }
          }
        },
        "/procore/companies/{id}/sweep": {
          "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "string", "format": "uuid" } }],
          "post": {
            "summary": "Sweep the company now",
            "description": "Queues a sweep of the linked company: reference data, the posting schedule, pulls (Procore purchase order) or pushes and drift checks (Lentune purchase order) of what changed since its cursor. A sweep already waiting is the one that runs (queued: false).",
            "operationId": "sweepProcoreCompany",
            "responses": {
              "202": { "description": "Queued", "content": { "application/json": { "schema": { "type": "object", "required": ["queued"], "properties": { "queued": { "type": "boolean" } } } } } },
              "401": { "$ref": "#/components/responses/Problem" },
              "403": { "$ref": "#/components/responses/Problem" },
              "404": { "$ref": "#/components/responses/Problem" },
              "409": { "$ref": "#/components/responses/Problem" }
            }
          }
        },
        "/sync/jobs": {
          "get": {
            "summary": "The organisation's sync jobs (the Integration log), newest first",
            "operationId": "listSyncJobs",
            "parameters": [
              { "name": "company_id", "in": "query", "description": "The company's id in Lentune (uuid) or its Procore company id", "schema": { "type": "string", "pattern": "^([0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}|[1-9][0-9]{0,17})$" } },
              { "name": "kind", "in": "query", "schema": { "type": "string", "enum": ["hooks.register", "hooks.unregister", "webhook.process", "sweep", "po.push", "po.pull", "po.import", "po.check", "reference.sync", "invoice.post", "noop"] } },
              { "name": "state", "in": "query", "schema": { "type": "string", "enum": ["pending", "running", "done", "held", "failed", "cancelled"] } },
              { "name": "since", "in": "query", "description": "Queued on or after this day (UTC)", "schema": { "type": "string", "format": "date" } },
              { "name": "limit", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 500, "default": 100 } }
            ],
            "responses": {
              "200": { "description": "The jobs", "content": { "application/json": { "schema": { "type": "object", "required": ["data"], "properties": { "data": { "type": "array", "items": { "$ref": "#/components/schemas/SyncJob" } } } } } } },
              "400": { "$ref": "#/components/responses/Problem" },
              "401": { "$ref": "#/components/responses/Problem" },
              "403": { "$ref": "#/components/responses/Problem" }
            }
          }
        }
      },
      "components": {
        "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } },
        "parameters": {
          "PerPage": { "name": "per_page", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 200 } },
          "After": { "name": "after", "in": "query", "schema": { "type": "string", "minLength": 1, "maxLength": 600, "pattern": "^[A-Za-z0-9_-]+$" }, "description": "The next_cursor of the previous page" }
        },
        "responses": {
          "ReferencePage": { "description": "A page", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ReferencePage" } } } },
          "Problem": { "description": "A problem document", "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } } }
        },
        "schemas": {
          "Problem": {
            "type": "object",
            "required": ["type", "title", "status", "detail"],
            "properties": {
              "type": { "type": "string" }, "title": { "type": "string" }, "status": { "type": "integer" }, "detail": { "type": "string" },
              "errors": { "type": "object", "additionalProperties": { "type": "string" }, "description": "Field → message" }
            }
          },
          "Line": {
            "type": "object",
            "required": ["description", "quantity", "unit_cost"],
            "properties": {
              "id": { "type": "string", "format": "uuid" },
              "description": { "type": "string", "maxLength": 500, "pattern": "^[^\\u0000-\\u0008\\u000B-\\u001F\\u007F-\\u009F]*[^\\s\\u0000-\\u001F\\u007F-\\u009F][^\\u0000-\\u0008\\u000B-\\u001F\\u007F-\\u009F]*$" },
              "cost_code_id": { "type": ["string", "null"], "format": "uuid", "description": "A cost code of the PO's project" },
              "cost_type_id": { "type": ["string", "null"], "format": "uuid" },
              "tax_code_id": { "type": ["string", "null"], "format": "uuid" },
              "quantity": { "type": "string", "pattern": "^(?=[0-9.]*[1-9])[0-9]{1,9}(\\.[0-9]{1,4})?$", "description": "Decimal, more than zero and at most 1,000,000,000, up to 4 decimals" },
              "unit_cost": { "type": "string", "pattern": "^[0-9]{1,9}(\\.[0-9]{1,4})?$", "description": "Decimal, not negative, at most 1,000,000,000, up to 4 decimals" },
              "amount": { "type": ["string", "null"], "pattern": "^([0-9]{1,12}(\\.[0-9]{1,2})?)?$", "description": "Empty: quantity × unit cost rounded half away from zero to the cent. Every line amount and the PO total (including tax) may be at most 999,999,999,999.99; more is refused with 422" },
              "tax": { "type": "string", "readOnly": true, "description": "Tax on this line, rounded per line" },
              "procore_line_item_id": { "type": ["integer", "null"], "format": "int64", "readOnly": true }
            }
          },
          "PurchaseOrder": {
            "type": "object",
            "required": ["id", "number", "source", "status", "supplier_id", "project_id", "title", "description", "lines", "total_excluding_tax", "tax", "total_including_tax"],
            "properties": {
              "id": { "type": "string", "format": "uuid" },
              "number": { "type": "string" },
              "source": { "type": "string", "enum": ["lentune", "procore"] },
              "status": { "type": "string", "enum": ["draft", "awaiting_approval", "approved", "closed"] },
              "supplier_id": { "type": "string", "format": "uuid" },
              "project_id": { "type": "string", "format": "uuid" },
              "title": { "type": "string" },
              "description": { "type": "string" },
              "delivery_date": { "type": ["string", "null"], "format": "date" },
              "lines": { "type": "array", "items": { "$ref": "#/components/schemas/Line" } },
              "total_excluding_tax": { "type": "string" },
              "tax": { "type": "string" },
              "total_including_tax": { "type": "string" },
              "procore_commitment_id": { "type": ["integer", "null"], "format": "int64" },
              "deleted_in_procore": { "type": "boolean", "description": "Its commitment was deleted in Procore: the PO is kept, marked, never removed" },
              "deleted_in_procore_at": { "type": ["string", "null"], "format": "date-time" }
            }
          },
          "SyncJob": {
            "type": "object",
            "required": ["id", "kind", "state", "attempts", "next_attempt_at", "created_at"],
            "properties": {
              "id": { "type": "string", "format": "uuid" },
              "company_id": { "type": ["string", "null"], "format": "uuid" },
              "kind": { "type": "string", "enum": ["hooks.register", "hooks.unregister", "webhook.process", "sweep", "po.push", "po.pull", "po.import", "po.check", "reference.sync", "invoice.post", "noop"] },
              "state": { "type": "string", "enum": ["pending", "running", "done", "held", "failed", "cancelled"] },
              "attempts": { "type": "integer" },
              "next_attempt_at": { "type": "string", "format": "date-time" },
              "created_at": { "type": "string", "format": "date-time" },
              "finished_at": { "type": ["string", "null"], "format": "date-time" },
              "message": { "type": ["string", "null"], "description": "Procore's message for a failure, or why the job was cancelled" }
            }
          },
          "InvoiceWrite": {
            "type": "object",
            "required": ["invoice_date", "total_excluding_tax", "total_including_tax"],
            "properties": {
              "supplier_id": { "type": "string", "format": "uuid", "description": "Optional with purchase_order_id: the PO's supplier" },
              "number": { "type": "string", "minLength": 1, "maxLength": 100 },
              "invoice_date": { "type": "string", "format": "date", "description": "From 2000-01-01 to a year from today" },
              "due_date": { "type": "string", "format": "date" },
              "total_excluding_tax": { "type": "string", "pattern": "^-?[0-9]{1,13}(\\.[0-9]{1,2})?$" },
              "total_including_tax": { "type": "string", "pattern": "^-?[0-9]{1,13}(\\.[0-9]{1,2})?$" },
              "project_id": { "type": "string", "format": "uuid" },
              "purchase_order_id": { "type": "string", "format": "uuid" },
              "approver_id": { "type": "string", "format": "uuid" },
              "lines": { "type": "array", "maxItems": 500, "items": { "type": "object", "required": ["amount"], "properties": {
                "description": { "type": "string", "maxLength": 1000 },
                "cost_code_id": { "type": "string", "format": "uuid" }, "cost_type_id": { "type": "string", "format": "uuid" },
                "tax_code_id": { "type": "string", "format": "uuid" },
                "amount": { "type": "string", "pattern": "^-?[0-9]{1,13}(\\.[0-9]{1,2})?$" },
                "tax": { "type": "string", "pattern": "^-?[0-9]{1,13}(\\.[0-9]{1,2})?$" } } } },
              "allocations": { "type": "array", "maxItems": 500, "items": { "type": "object", "required": ["purchase_order_line_id"], "properties": {
                "purchase_order_line_id": { "type": "string", "format": "uuid" },
                "amount": { "type": "string", "pattern": "^[0-9]{1,13}(\\.[0-9]{1,2})?$", "description": "By value" },
                "quantity": { "type": "string", "pattern": "^[0-9]{1,9}(\\.[0-9]{1,4})?$", "description": "By quantity, at the PO line's unit cost" } } } },
              "document": { "type": "object", "required": ["filename", "content_base64"], "properties": {
                "filename": { "type": "string", "maxLength": 255 }, "content_base64": { "type": "string" } } }
            }
          },
          "Invoice": {
            "type": "object",
            "required": ["id", "supplier_id", "number", "invoice_date", "status", "total_excluding_tax", "tax", "total_including_tax", "lines", "allocations"],
            "properties": {
              "id": { "type": "string", "format": "uuid" }, "supplier_id": { "type": "string", "format": "uuid" },
              "number": { "type": "string" }, "invoice_date": { "type": "string", "format": "date" },
              "due_date": { "type": ["string", "null"], "format": "date" },
              "status": { "type": "string", "enum": ["unchecked", "awaiting_approval", "approved", "posted", "held"] },
              "total_excluding_tax": { "type": "string" }, "tax": { "type": "string" }, "total_including_tax": { "type": "string" },
              "project_id": { "type": ["string", "null"], "format": "uuid" }, "purchase_order_id": { "type": ["string", "null"], "format": "uuid" },
              "approver_id": { "type": ["string", "null"], "format": "uuid" }, "send_back_reason": { "type": ["string", "null"] },
              "lines": { "type": "array", "items": { "type": "object" } }, "allocations": { "type": "array", "items": { "type": "object" } },
              "document": { "type": ["string", "null"], "description": "Where the PDF is" },
              "posting": { "type": ["object", "null"], "properties": {
                "state": { "type": "string" }, "procore_id": { "type": ["integer", "null"], "format": "int64" },
                "procore_url": { "type": ["string", "null"] }, "message": { "type": ["string", "null"] } } }
            }
          },
          "InvoicePage": {
            "type": "object",
            "required": ["data", "per_page"],
            "properties": {
              "data": { "type": "array", "items": { "type": "object", "properties": {
                "id": { "type": "string", "format": "uuid" }, "number": { "type": "string" }, "supplier_id": { "type": "string", "format": "uuid" },
                "invoice_date": { "type": "string" }, "status": { "type": "string" }, "total_including_tax": { "type": "string" } } } },
              "per_page": { "type": "integer" },
              "next_cursor": { "type": ["string", "null"], "description": "Pass as after= for the next page" },
              "previous_cursor": { "type": ["string", "null"], "description": "Pass as before= for the previous page" }
            }
          },
          "PurchaseOrderWrite": {
            "type": "object",
            "required": ["supplier_id", "project_id", "title", "lines"],
            "properties": {
              "number": { "type": ["string", "null"], "maxLength": 50, "pattern": "^[^\\u0000-\\u001F\\u007F-\\u009F]*$", "description": "Empty or null: the next number of the organisation" },
              "supplier_id": { "type": "string", "format": "uuid" },
              "project_id": { "type": "string", "format": "uuid" },
              "title": { "type": "string", "maxLength": 200, "pattern": "^[^\\u0000-\\u0008\\u000B-\\u001F\\u007F-\\u009F]*[^\\s\\u0000-\\u001F\\u007F-\\u009F][^\\u0000-\\u0008\\u000B-\\u001F\\u007F-\\u009F]*$" },
              "delivery_date": { "type": ["string", "null"], "format": "date", "description": "A real calendar date between 1900-01-01 and 2200-12-31; null: none" },
              "description": { "type": ["string", "null"], "maxLength": 10000, "pattern": "^[^\\u0000-\\u0008\\u000B-\\u001F\\u007F-\\u009F]*$" },
              "lines": { "type": "array", "minItems": 1, "maxItems": 200, "items": { "$ref": "#/components/schemas/Line" } }
            }
          },
          "PurchaseOrderPage": {
            "type": "object",
            "required": ["data", "page", "per_page", "total"],
            "properties": {
              "data": { "type": "array", "items": { "type": "object", "properties": {
                "id": { "type": "string", "format": "uuid" }, "number": { "type": "string" }, "title": { "type": "string" },
                "supplier": { "type": "string" }, "project": { "type": "string" }, "total_including_tax": { "type": "string" },
                "status": { "type": "string" }, "source": { "type": "string" }, "sync_state": { "type": "string" } } } },
              "page": { "type": "integer" }, "per_page": { "type": "integer" }, "total": { "type": "integer" },
              "next_cursor": { "type": ["string", "null"], "description": "Pass as after= for the next page" },
              "previous_cursor": { "type": ["string", "null"], "description": "Pass as before= for the previous page" }
            }
          },
          "Connection": {
            "type": "object",
            "required": ["id", "environment", "auth_base_url", "api_base_url", "client_id", "has_client_secret", "grant_type", "status"],
            "properties": {
              "id": { "type": "string", "format": "uuid" },
              "environment": { "type": "string", "enum": ["production", "developer_sandbox", "custom"] },
              "auth_base_url": { "type": "string" }, "api_base_url": { "type": "string" },
              "client_id": { "type": "string" }, "has_client_secret": { "type": "boolean" },
              "grant_type": { "type": "string", "enum": ["client_credentials", "authorization_code"] },
              "company_id": { "type": ["integer", "null"], "format": "int64" },
              "status": { "type": "string", "enum": ["not_connected", "connected"] },
              "connected_as": { "type": ["string", "null"] }, "last_error": { "type": ["string", "null"] }
            }
          },
          "ConnectionWrite": {
            "type": "object",
            "required": ["client_id"],
            "properties": {
              "environment": { "type": ["string", "null"], "enum": ["production", "developer_sandbox", "custom", null], "description": "null or left out: production" },
              "auth_base_url": { "type": ["string", "null"], "description": "custom only: https, or http to this machine" },
              "api_base_url": { "type": ["string", "null"], "description": "custom only: https, or http to this machine" },
              "client_id": { "type": "string", "minLength": 1, "maxLength": 200 },
              "client_secret": { "type": ["string", "null"], "maxLength": 500, "writeOnly": true, "description": "Required when no secret is stored yet; null or left out keeps the stored one" },
              "grant_type": { "type": ["string", "null"], "enum": ["client_credentials", "authorization_code", null], "description": "null or left out: client_credentials" },
              "company_id": { "type": ["integer", "null"], "format": "int64", "minimum": 1, "description": "Optional (null or left out: none): Test connection lists every company the account can see" }
            }
          },
          "ConnectionTest": {
            "type": "object",
            "required": ["connected", "companies"],
            "properties": {
              "connected": { "type": "boolean" },
              "connected_as": { "type": ["string", "null"] },
              "error": { "type": ["string", "null"], "description": "Procore's refusal, in its words" },
              "companies": { "type": "array", "items": { "$ref": "#/components/schemas/Company" } }
            }
          },
          "ReferencePage": {
            "type": "object",
            "required": ["data"],
            "properties": {
              "data": { "type": "array", "items": { "type": "object", "required": ["id", "name", "source", "active"], "properties": {
                "id": { "type": "string", "format": "uuid" }, "code": { "type": ["string", "null"] }, "name": { "type": "string" },
                "procore_id": { "type": ["integer", "null"], "format": "int64" },
                "source": { "type": "string", "enum": ["lentune", "procore"] }, "active": { "type": "boolean" },
                "project_id": { "type": ["string", "null"], "format": "uuid" },
                "rate": { "type": ["string", "null"], "description": "Tax codes: the rate as a decimal fraction, e.g. 0.1500" },
                "procore_mappings": { "type": ["array", "null"], "description": "Tax codes: the Procore tax code each linked company sends this code as (its Tax mapping page); a company not listed has no mapping, and lines with this code are not sent to it", "items": { "type": "object", "required": ["company_id", "procore_company_id", "procore_tax_code_id"], "properties": {
                  "company_id": { "type": "string", "format": "uuid" }, "procore_company_id": { "type": "integer", "format": "int64" },
                  "procore_tax_code_id": { "type": "integer", "format": "int64" } } } },
                "procore_links": { "type": ["array", "null"], "description": "Suppliers and cost types: the vendor or line item type this record is in each linked Procore company (Procore keeps them per company); procore_id is set only when there is exactly one", "items": { "type": "object", "required": ["company_id", "procore_company_id", "procore_id"], "properties": {
                  "company_id": { "type": "string", "format": "uuid" }, "procore_company_id": { "type": "integer", "format": "int64" },
                  "procore_id": { "type": "integer", "format": "int64" } } } } } } },
              "next_cursor": { "type": ["string", "null"], "description": "Pass as after= for the next page (null on the last)" }
            }
          },
          "Company": {
            "type": "object",
            "required": ["id", "procore_company_id", "name", "linked", "procore_purchase_order", "lentune_purchase_order", "purchase_order_source", "project_stages", "rounding_tolerance", "version"],
            "properties": {
              "id": { "type": "string", "format": "uuid" },
              "procore_company_id": { "type": "integer", "format": "int64" },
              "name": { "type": "string" },
              "linked": { "type": "boolean" },
              "procore_purchase_order": { "type": "boolean", "description": "Procore is the source: Procore POs are synced into Lentune; New Purchase Order is not accessible." },
              "lentune_purchase_order": { "type": "boolean", "description": "Lentune is the source: Lentune POs are sent to Procore; nothing is pulled." },
              "purchase_order_source": { "type": "string", "enum": ["none", "lentune", "procore"] },
              "project_stages": { "type": "array", "items": { "type": "string" } },
              "rounding_tolerance": { "type": "string", "description": "Rounding tolerance for invoice amount, a decimal such as \"0.05\"" },
              "version": { "type": "integer" }
            }
          },
          "CompanyUpdate": {
            "type": "object",
            "required": ["linked", "procore_purchase_order", "lentune_purchase_order", "project_stages", "rounding_tolerance", "version"],
            "properties": {
              "linked": { "type": "boolean" },
              "procore_purchase_order": { "type": "boolean" },
              "lentune_purchase_order": { "type": "boolean" },
              "project_stages": { "type": "array", "items": { "type": "string", "minLength": 1, "maxLength": 100 }, "minItems": 1, "maxItems": 20, "description": "Names among the company's own Procore project stages (422 otherwise)" },
              "rounding_tolerance": { "type": "string", "pattern": "^[0-9]{1,3}(\\.[0-9]{1,2})?$" },
              "version": { "type": "integer" }
            }
          }
        }
      }
    }
    """#
}
