from bd.cli import run

run()
