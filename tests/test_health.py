from flask.testing import FlaskClient


def test_health_answers_ok(client: FlaskClient) -> None:
    response = client.get("/api/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_site_top_page_is_served(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert "セキュリティ訓練キャンペーン" in response.get_data(as_text=True)


def test_directory_url_without_slash_redirects(client: FlaskClient) -> None:
    response = client.get("/drill")
    assert response.status_code == 301
    assert response.headers["Location"] == "/drill/"


def test_unknown_page_is_404_with_site_page(client: FlaskClient) -> None:
    response = client.get("/no-such-page/")
    assert response.status_code == 404


def test_path_traversal_is_refused(client: FlaskClient) -> None:
    response = client.get("/../pyproject.toml")
    assert response.status_code == 404
    assert "setuptools" not in response.get_data(as_text=True)
