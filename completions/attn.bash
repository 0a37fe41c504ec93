# bash completion for attn                                   -*- shell-script -*-
# Installed by `cmake --install` as share/bash-completion/completions/attn; or: source completions/attn.bash
# Works with or without the bash-completion package. tests/cli_manners_test.sh checks that every option of
# every subcommand's --help is here.

_attn_options() {
  case $1 in
    "") echo "-h --help --version -m --model -v --verbose --no-cache" ;;
    classify)
      echo "-h --help -i --input -f --format -k --top-k --attention --layers --heads --head-aggregate --rollout" \
        "--precision --long-text --stride --window-combine --progress -o --output --batch-size -t --threads" \
        "--threshold --input-format --header --text-column --id-column --keep --stdin-name --stdin-first-line" ;;
    explain) echo "-h --help --html --color --long-text --stride --window-combine" ;;
    info) echo "-h --help -f --format" ;;
    eval) echo "-h --help -i --input --data-format --header --label-map -f --format --long-text --stride --window-combine" \
      "--input-format --text-column --id-column --label-column" ;;
    help) echo "-h --help" ;;
  esac
}

_attn() {
  local cur prev
  cur=${COMP_WORDS[COMP_CWORD]}
  prev=""
  ((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
  COMPREPLY=()

  # The subcommand is the first word that is neither an option nor the value of -m/--model.
  local subcommand="" i
  for ((i = 1; i < COMP_CWORD; i++)); do
    case ${COMP_WORDS[i]} in
      -m | --model) ((i++)) ;;
      -*) ;;
      *) subcommand=${COMP_WORDS[i]}; break ;;
    esac
  done

  case $prev in
    -m | --model)
      # Model files, and the bundled model's name.
      COMPREPLY=($(compgen -W "sst2-sentiment" -- "$cur") $(compgen -f -X '!*.json' -- "$cur") $(compgen -d -- "$cur"))
      compopt -o filenames 2>/dev/null
      return ;;
    -i | --input | -o | --output | --attention | --html)
      COMPREPLY=($(compgen -f -- "$cur"))
      compopt -o filenames 2>/dev/null
      return ;;
    -f | --format)
      case $subcommand in
        classify) COMPREPLY=($(compgen -W "text json jsonl tsv" -- "$cur")) ;;
        *) COMPREPLY=($(compgen -W "text json" -- "$cur")) ;;
      esac
      return ;;
    --head-aggregate) COMPREPLY=($(compgen -W "none mean max" -- "$cur")); return ;;
    --long-text) COMPREPLY=($(compgen -W "keep-start keep-end keep-ends window" -- "$cur")); return ;;
    --window-combine) COMPREPLY=($(compgen -W "mean max" -- "$cur")); return ;;
    --color | --progress) COMPREPLY=($(compgen -W "auto always never" -- "$cur")); return ;;
    --input-format) COMPREPLY=($(compgen -W "lines tsv csv jsonl" -- "$cur")); return ;;
    --data-format) COMPREPLY=($(compgen -W "text-tab-label label-tab-text label-space-text" -- "$cur")); return ;;
    -k | --top-k | --layers | --heads | --precision | --stride | --batch-size | -t | --threads | --label-map | \
      --threshold | --text-column | --id-column | --keep | --label-column | --stdin-name | --stdin-first-line)
      return ;;  # numbers and lists: nothing to offer
  esac

  if [[ -z $subcommand ]]; then
    if [[ $cur == -* ]]; then
      COMPREPLY=($(compgen -W "$(_attn_options "")" -- "$cur"))
    else
      COMPREPLY=($(compgen -W "classify explain info eval help" -- "$cur"))
    fi
    return
  fi
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$(_attn_options "$subcommand")" -- "$cur"))
  fi
  # Anything else is text to classify or explain: nothing to complete.
}

complete -F _attn attn
