from flask import Blueprint

bp = Blueprint("oauth", __name__)
