"""Recipes: define or revise, read, list, retire, 86 and back."""

from __future__ import annotations

from litestar import Controller, Response, delete, get, post, put
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromQuery, JSONBody

from kangaroo_paw.adapters.http import present
from kangaroo_paw.adapters.http.bodies import RecipePut
from kangaroo_paw.adapters.http.errors import responses
from kangaroo_paw.adapters.http.params import KitchenDep, NamePath
from kangaroo_paw.adapters.http.schemas import Recipe, RecipeList
from kangaroo_paw.domain.recipes import RecipeStep


class RecipeController(Controller):
    """Menu items as steps and dependencies."""

    path = "/api/v1/recipes"
    tags = ["recipes"]

    @get("/", operation_id="listRecipes", sync_to_thread=True, responses=responses(400, 503))
    def list_recipes(
        self, kitchen: KitchenDep, include_retired: FromQuery[bool] = False
    ) -> RecipeList:
        """List the recipes (live ones unless include_retired)."""
        views = kitchen.list_recipes(include_retired)
        return RecipeList(recipes=[present.recipe(v) for v in views])

    @get(
        "/{item_key:str}",
        operation_id="getRecipe",
        sync_to_thread=True,
        responses=responses(400, 404, 503),
    )
    def get_recipe(self, kitchen: KitchenDep, item_key: NamePath) -> Recipe:
        """Read a recipe with its explicit and effective (inferred) dependencies."""
        return present.recipe(kitchen.get_recipe(item_key))

    @put(
        "/{item_key:str}",
        operation_id="defineRecipe",
        status_code=200,
        sync_to_thread=True,
        responses={
            201: ResponseSpec(Recipe, description="Created"),
            **responses(400, 409, 413, 422, 503),
        },
    )
    def define(
        self, kitchen: KitchenDep, item_key: NamePath, data: JSONBody[RecipePut]
    ) -> Response[Recipe]:
        """Create (201) or revise (200) a recipe; confirmed orders keep their old steps."""
        steps = [
            RecipeStep(
                step_no=s.step_no,
                description=s.description,
                counter=s.counter,
                machine=s.machine,
                estimate_secs=s.estimate_secs,
                base_priority=s.base_priority,
                machine_kind=s.machine_kind,
            )
            for s in data.steps
        ]
        deps = [(d.step_no, d.depends_on) for d in data.dependencies]
        view, created = kitchen.define_recipe(item_key, steps, deps)
        return Response(present.recipe(view), status_code=201 if created else 200)

    @delete(
        "/{item_key:str}",
        operation_id="retireRecipe",
        status_code=200,
        sync_to_thread=True,
        responses=responses(400, 404, 409, 503),
    )
    def retire(self, kitchen: KitchenDep, item_key: NamePath) -> Recipe:
        """Retire a recipe: new orders may not use it; confirmed ones are unaffected."""
        return present.recipe(kitchen.retire_recipe(item_key))

    @post(
        "/{item_key:str}/unavailable",
        operation_id="markRecipeUnavailable",
        status_code=200,
        sync_to_thread=True,
        responses=responses(400, 403, 404, 503),
    )
    def unavailable(self, kitchen: KitchenDep, item_key: NamePath) -> Recipe:
        """86 an item: confirms and quotes of it get 422 item_unavailable until it is back;
        confirmed orders are unaffected. Idempotent; apart from retiring the recipe."""
        return present.recipe(kitchen.set_available(item_key, False))

    @post(
        "/{item_key:str}/available",
        operation_id="markRecipeAvailable",
        status_code=200,
        sync_to_thread=True,
        responses=responses(400, 403, 404, 503),
    )
    def available(self, kitchen: KitchenDep, item_key: NamePath) -> Recipe:
        """Bring an 86'd item back. Idempotent."""
        return present.recipe(kitchen.set_available(item_key, True))
