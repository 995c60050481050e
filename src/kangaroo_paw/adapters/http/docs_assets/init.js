// Kangaroo Paw: Swagger UI over the server's own OpenAPI document, nothing fetched elsewhere
// (validatorUrl: null turns off the badge that would ask validator.swagger.io).
window.onload = function () {
  window.ui = SwaggerUIBundle({
    url: "/schema/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
};
