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
        }
      },
      "components": {
        "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } },
        "responses": {
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
              "project_stages": { "type": "array", "items": { "type": "string", "maxLength": 100 }, "minItems": 1, "maxItems": 20 },
              "rounding_tolerance": { "type": "string", "pattern": "^[0-9]{1,3}(\\.[0-9]{1,2})?$" },
              "version": { "type": "integer" }
            }
          }
        }
      }
    }
    """#
}
