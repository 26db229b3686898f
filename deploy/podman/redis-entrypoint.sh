#!/bin/sh
# The official redis image is built with protected mode off, so other containers can connect to a
# redis-server started without a config file; Debian's build has it on and would answer them DENIED.
# Do as the official image does unless the command line sets protected-mode itself.
if [ "$1" = redis-server ]; then
  case " $* " in
    *" --protected-mode "*) ;;
    *) set -- "$@" --protected-mode no ;;
  esac
fi
exec "$@"
