# bash completion for ckpt(8): commands, their options, and the values
# that can be listed (pids, snapshot ids, image files, *.ko for --module).
# The option lists follow the tool's option tables (userspace/).

_ckpt_pids()
{
	COMPREPLY=($(compgen -W "$(command ps -e -o pid= 2>/dev/null)" -- "$cur"))
}

# Snapshot ids of the process given with -t/--pid earlier on the line.
_ckpt_snap_ids()
{
	local i pid=''
	for ((i = cmd_i + 1; i < cword; i++)); do
		case ${words[i]} in
		-t | --pid) pid=${words[i + 1]} ;;
		--pid=*) pid=${words[i]#--pid=} ;;
		esac
	done
	[[ $pid == +([0-9]) ]] || return
	COMPREPLY=($(compgen -W "$("$1" list -t "$pid" 2>/dev/null | awk '!/^#/ { print $1 }')" -- "$cur"))
}

_ckpt()
{
	local cur prev words cword
	_init_completion -s || return

	local commands="check dump restore show snapshot rollback drop list run help"
	local i cmd='' cmd_i=0
	for ((i = 1; i < cword; i++)); do
		case ${words[i]} in
		--module) ((i++)) ;;
		-*) ;;
		*) cmd=${words[i]} cmd_i=$i; break ;;
		esac
	done

	if [[ -z $cmd ]]; then
		case $prev in
		--module)
			_filedir ko
			return
			;;
		esac
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "--module --version --help -h" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$commands" -- "$cur"))
		fi
		return
	fi

	local opts=
	case $cmd in
	check)
		opts="--help -h"
		;;
	dump)
		case $prev in
		-t) _ckpt_pids; return ;;
		-o) _filedir; return ;;
		--dir) _filedir -d; return ;;
		--every | --keep | --count) return ;;
		esac
		opts="-t -o --kill --stats --every --dir --keep --count --progress --no-progress --help -h"
		;;
	restore)
		case $prev in
		-i) _filedir; return ;;
		--pid-file) _filedir; return ;;
		esac
		opts="-i --detach --pid-file --new-pid --progress --no-progress --help -h"
		;;
	show)
		if [[ $cur != -* ]]; then
			_filedir
			return
		fi
		opts="--json --help -h"
		;;
	snapshot | rollback | drop | list)
		case $prev in
		-t | --pid) _ckpt_pids; return ;;
		-s | --snapshot) _ckpt_snap_ids "${words[0]}"; return ;;
		esac
		case $cmd in
		snapshot) opts="-t --pid --on-exit -v --verbose" ;;
		rollback) opts="-t --pid -s --snapshot -v --verbose" ;;
		drop) opts="-t --pid -s --snapshot" ;;
		list) opts="-t --pid --json" ;;
		esac
		opts+=" -h --help"
		;;
	run)
		# After "--" comes the command to run, and its own arguments.
		for ((i = cmd_i + 1; i < cword; i++)); do
			if [[ ${words[i]} == -- ]]; then
				_command_offset $((i + 1))
				return
			fi
		done
		case $prev in
		--dir) _filedir -d; return ;;
		--every | --keep) return ;;
		esac
		opts="--every --dir --keep --stats --help -h --"
		;;
	help)
		((cword == cmd_i + 1)) && COMPREPLY=($(compgen -W "$commands" -- "$cur"))
		return
		;;
	esac
	[[ $cur == -* || -z $cur ]] && COMPREPLY=($(compgen -W "$opts" -- "$cur"))
} &&
	complete -F _ckpt ckpt
