"""Orders: confirm (idempotent), quote, read, list, rush, fire, cancel, void a line."""

from __future__ import annotations

from litestar import Controller, Response, get, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromQuery, JSONBody

from kangaroo_paw.adapters.http import present
from kangaroo_paw.adapters.http.bodies import (
    ConfirmOrderRequest,
    FireOrderRequest,
    RushOrderRequest,
    VoidLineRequest,
)
from kangaroo_paw.adapters.http.errors import InvalidRequest, responses
from kangaroo_paw.adapters.http.params import (
    Cursor,
    KitchenDep,
    Limit,
    OrderIdPath,
    OrderStatus,
    parse_id,
)
from kangaroo_paw.adapters.http.schemas import Order, OrderPage, Quote
from kangaroo_paw.domain.errors import InvalidOrder


class OrderController(Controller):
    """Confirm, quote, read, list, rush and cancel orders."""

    path = "/api/v1/orders"
    tags = ["orders"]

    @post(
        "/confirm",
        operation_id="confirmOrder",
        status_code=201,
        sync_to_thread=True,
        responses={
            200: ResponseSpec(Order, description="Identical repeat: the recorded order"),
            **responses(400, 409, 413, 422, 503),
        },
    )
    def confirm(self, kitchen: KitchenDep, data: JSONBody[ConfirmOrderRequest]) -> Response[Order]:
        """Confirm an order and explode it into tasks (201), or replay an identical one (200)."""
        view, created = kitchen.confirm_order(
            data.items,
            data.external_order_id,
            data.priority,
            ticket=data.ticket(),
            courses=data.courses,
            hold=data.hold,
            pace=data.pace,
        )
        return Response(present.order(view), status_code=201 if created else 200)

    @post(
        "/quote",
        operation_id="quoteOrder",
        status_code=200,
        sync_to_thread=True,
        responses=responses(400, 413, 422, 503),
    )
    def quote(self, kitchen: KitchenDep, data: JSONBody[ConfirmOrderRequest]) -> Quote:
        """When this order would be ready if confirmed now; validates like confirm, writes
        nothing."""
        at, secs = kitchen.quote_order(
            data.items,
            data.priority,
            data.external_order_id,
            ticket=data.ticket(),
            courses=data.courses,
            hold=data.hold,
            pace=data.pace,
        )
        return Quote(promised_ready_at=at, promised_secs=secs)

    @get(
        "/{order_id:str}",
        operation_id="getOrder",
        sync_to_thread=True,
        responses=responses(400, 404, 503),
    )
    def get_order(self, kitchen: KitchenDep, order_id: OrderIdPath) -> Order:
        """Read one order with its tasks and status."""
        return present.order(kitchen.get_order(parse_id(order_id, "order")))

    @get("/", operation_id="listOrders", sync_to_thread=True, responses=responses(400, 503))
    def list_orders(
        self,
        kitchen: KitchenDep,
        status: FromQuery[OrderStatus | None] = None,
        limit: Limit = 50,
        cursor: Cursor = None,
    ) -> OrderPage:
        """List orders newest first, optionally by status, a page at a time."""
        try:
            views, next_cursor = kitchen.list_orders(status, limit, cursor)
        except InvalidOrder as exc:
            if "cursor" not in exc.details:
                raise
            raise InvalidRequest(exc.message, **exc.details) from None
        return OrderPage(orders=[present.order(v) for v in views], next_cursor=next_cursor)

    @post(
        "/{order_id:str}/rush",
        operation_id="rushOrder",
        status_code=200,
        sync_to_thread=True,
        responses=responses(400, 404, 409, 503),
    )
    def rush(
        self, kitchen: KitchenDep, order_id: OrderIdPath, data: JSONBody[RushOrderRequest]
    ) -> Order:
        """Rush an open order (it counts as KP_RUSH_CREDIT_SECS older) or un-rush it; its
        open tasks are re-keyed in the queue."""
        return present.order(kitchen.rush_order(parse_id(order_id, "order"), data.rush))

    @post(
        "/{order_id:str}/fire",
        operation_id="fireOrder",
        status_code=200,
        sync_to_thread=True,
        responses=responses(400, 404, 409, 503),
    )
    def fire(
        self, kitchen: KitchenDep, order_id: OrderIdPath, data: JSONBody[FireOrderRequest]
    ) -> Order:
        """Fire a held course (or, with {}, every held course): its first steps are released
        (paced if the order is) and allocation runs; 409 not_held if it is not on hold."""
        return present.order(kitchen.fire_order(parse_id(order_id, "order"), data.course))

    @post(
        "/{order_id:str}/cancel",
        operation_id="cancelOrder",
        status_code=200,
        sync_to_thread=True,
        responses=responses(400, 404, 409, 503),
    )
    def cancel(self, kitchen: KitchenDep, order_id: OrderIdPath) -> Order:
        """Cancel an order: withdraw its open tasks and release what they hold."""
        return present.order(kitchen.cancel_order(parse_id(order_id, "order")))

    @post(
        "/{order_id:str}/void",
        operation_id="voidOrderLine",
        status_code=200,
        sync_to_thread=True,
        responses=responses(400, 404, 409, 413, 503),
    )
    def void(
        self, kitchen: KitchenDep, order_id: OrderIdPath, data: JSONBody[VoidLineRequest]
    ) -> Order:
        """Take an item line off an open order: its unstarted tasks are cancelled, started
        ones flagged voided; voiding the last line cancels the order."""
        view = kitchen.void_line(parse_id(order_id, "order"), data.item_key, data.reason)
        return present.order(view)
