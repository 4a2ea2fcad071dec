# Shared by the helper scripts (create-cronjob-crd.sh, delete-workload-crd.sh): flag parsing,
# the checks both make, and finding kubectl. Sourced; the script defines `usage` and sets `prog`.
# shellcheck shell=bash

DNS1123_LABEL='^[a-z0-9]([-a-z0-9]*[a-z0-9])?$'

# usage_error MESSAGE: names the problem, points at --help, exits 2 (nothing was sent).
usage_error() {
  echo "$prog: $*" >&2
  echo "Run '$prog --help' for the flags." >&2
  exit 2
}

# parse_flags "name namespace ..." ARGS...: fills FLAGS[name]=VALUE from --name=VALUE or
# --name VALUE; --help prints the usage. An unknown flag, a stray argument or a flag without
# a value is a usage error.
declare -A FLAGS=()
parse_flags() {
  local allowed=" $1 " arg flag value
  shift
  while [ $# -gt 0 ]; do
    arg=$1
    shift
    case $arg in
      -h | --help) usage; exit 0 ;;
      --*=*) flag=${arg%%=*} value=${arg#*=} ;;
      --*)
        flag=$arg value=''
        if [ $# -gt 0 ] && [[ $1 != --* ]]; then value=$1; shift; fi
        ;;
      *) usage_error "unexpected argument '$arg' (flags look like --name=VALUE)" ;;
    esac
    [[ $allowed == *" ${flag#--} "* ]] || usage_error "unknown flag $flag"
    [ -n "$value" ] || usage_error "$flag needs a value"
    FLAGS[${flag#--}]=$value
  done
}

# check_namespace NAMESPACE: a usage error unless it is a valid namespace name.
check_namespace() {
  if ! [[ $1 =~ $DNS1123_LABEL ]] || [ ${#1} -gt 63 ]; then
    usage_error "--namespace '$1' is not a valid namespace name: lowercase letters, digits and '-', at most 63 characters"
  fi
}

# find_kubectl KUBECONFIG: sets `kubectl` ($KUBECTL, else from PATH; exit 1 when missing) and
# `kubectl_args` (--kubeconfig when one was given).
find_kubectl() {
  kubectl=${KUBECTL:-kubectl}
  command -v "$kubectl" >/dev/null || { echo "$prog: kubectl not found ('$kubectl'): set KUBECTL or put kubectl on PATH" >&2; exit 1; }
  kubectl_args=()
  [ -z "$1" ] || kubectl_args+=(--kubeconfig "$1")
}
