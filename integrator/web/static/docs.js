// Starts Swagger UI on /docs; kept out of the page because the CSP forbids inline script.
// validatorUrl: null, so the page asks no outside service to check the document.
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  window.SwaggerUIBundle({
    url: root.dataset.openapiUrl,
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
  });
})();
