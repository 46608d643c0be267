"""The reviewer's pages of any reviewable (services/reviews.py): the queue filtered by status, one item, and the
decision (审核通过 / 驳回 with an opinion, the refusal under the opinion field). A review view is a BaseView with
this mixin, its templates and the words of its flash message:

    class ResignationReviewView(ReviewPages, BaseView):
        route_base = "/resignationreview"
        class_permission_name = "离职审核"  # read: list, show, file; audit: decide (the mixin's defaults)
        scoped_model = Resignation
        reviewable = resignations.REVIEW
        list_template, show_template, item_name = "resignation/review_list.html", "resignation/review.html", "item"

        def decided(self, item, action):
            return f"已{DECIDED[action]}{item.person.name}的离职申请"

The list template gets items, status, statuses, labels (+ list_context()); the show template gets the item as
`item_name`, errors, opinion, labels, history, pending, form (+ show_context(item, refused))."""
from flask import abort, g, request, url_for
from flask_appbuilder import expose, has_access
from flask_wtf import FlaskForm

from app.domain import review
from app.domain.errors import DomainError
from app.services import reviews
from app.views.pages import Errors, form_page

DECIDED = {"approve": "通过", "reject": "驳回"}


class ReviewPages:
    reviewable = None  # the Reviewable declaration (services/reviews.py)
    default_view = "list"
    edited_models = ()  # review decisions: guarded by the review state machine
    method_permission_name = {"list": "read", "show": "read", "file": "read", "decide": "audit"}
    base_permissions = ["can_read", "can_audit"]
    list_template = show_template = None
    item_name = "item"  # what the show template calls the item
    statuses = review.STATUSES  # the status filter of the queue

    def list_context(self) -> dict:
        return {}

    def show_context(self, item, refused: bool) -> dict:
        """Extra values of the show page; `refused`: shown again after a refused decision (keep what was typed)."""
        return {}

    def decided(self, item, action) -> str:
        raise NotImplementedError

    def decide_call(self, pk, action, opinion):
        """The service call of a decision (a review with corrections overrides it)."""
        return reviews.decide(self.reviewable, g.user, pk, action, opinion)

    def _get(self, pk):
        try:
            return reviews.get_for_review(self.reviewable, g.user, pk)
        except DomainError:
            abort(404)

    def _render_item(self, item, errors=Errors(), opinion="", refused=False):
        return self.render_template(self.show_template, **{self.item_name: item}, errors=errors, opinion=opinion,
                                    labels=review.LABELS, actions=review.ACTION_LABELS,
                                    history=reviews.history(self.reviewable, item),
                                    pending=item.status == review.SUBMITTED, form=FlaskForm(),
                                    **self.show_context(item, refused))

    @expose("/list/")
    @has_access
    def list(self):
        status = request.args.get("status", review.SUBMITTED)
        return self.render_template(self.list_template, items=reviews.queue(self.reviewable, g.user, status or None),
                                    status=status, statuses=self.statuses, labels=review.LABELS,
                                    **self.list_context())

    @expose("/show/<int:pk>")
    @has_access
    def show(self, pk):
        return self._render_item(self._get(pk))

    @expose("/decide/<int:pk>", methods=["POST"])
    @has_access
    def decide(self, pk):
        item = self._get(pk)
        opinion, action = request.form.get("opinion", ""), request.form.get("action")
        return form_page(save=lambda: self.decide_call(pk, action, opinion),
                         render=lambda errors: self._render_item(self._get(pk), errors, opinion, refused=True),
                         done=lambda _: (self.decided(item, action), url_for(".list")))
