#!/usr/bin/env bash
# Builds energy3x.cu against diagnostic copies of kernels/conv_igemm_mma.cu with the fused.wgmma_rs_3xtf32 default's
# -D values (bn:32/ck:8/epi:1/form:4/groups:2/la:2/nf:4/order:2/split:1/stages:3/sums:1/th:4/tma:1/wide:0), each
# copy without a part of the work. $1 source root, $2 out.
set -u
SRC=$1; O=$2; H=$(cd $(dirname $0) && pwd); NVCC=${NVCC:-nvcc}
D="-DKR=3 -DKS=3 -DSTRIDE=1 -DPAD=0 -DCPAD=64 -DVEC=1 -DTHREEX=1 -DMISH_COUNT=2 -DWGMMA=1 -DTH=4 -DTW=64 -DBN=32 -DCK=8 -DWM=4 -DWN=1 -DSTAGES=3 -DGROUPS=2 -DSTAGGER=0 -DPAIRS=0 -DBFRAG=0 -DNF=4 -DLA=2 -DWIDE=0 -DMISH_FORM=4 -DEPI_PRED=1 -DUNROLL_TAPS=1 -DROUND_A=1 -DFOLD=0 -DSPLIT=1 -DORDER=2 -DTMA=1 -DSUMS=1"
NOLOAD='s|    if (tid == 0 \&\& it + STAGES - 1 < total_it) load_stage(it + STAGES - 1);|    /* no loads after the prologue */|; s|    cm_wgmma::mbar_wait(full0 + 8 \* (it % STAGES), (it / STAGES) \& 1);|    /* and no waits for them */|'
NOSPLIT='s|            split_tf32(v\[j\], afr\[step % NF\]\[q\]\[j\], afs\[step % NF\]\[q\]\[j\]);|            afr[step % NF][q][j] = afs[step % NF][q][j] = __float_as_uint(v[j]);  /* no split */|'
ONE='s|            wgrs::mma(pacc\[h\], afs\[step % NF\]\[q\], bd, fresh ? 0 : 1);|            /* big x big only */|; s|            wgrs::mma(pacc\[h\], afr\[step % NF\]\[q\], bd + 2 \* BN, 1);||; s|            wgrs::mma(pacc\[h\], afr\[step % NF\]\[q\], bd, 1);|            wgrs::mma(pacc[h], afr[step % NF][q], bd, fresh ? 0 : 1);|'
QUIET='-DKZERO=1 -UMISH_COUNT -DMISH_COUNT=0'
mk() {  # tag, sed script, extra flags
  mkdir -p $O/$1 && cp $SRC/kernels/*.cuh $O/$1/ && sed "$2" $SRC/kernels/conv_igemm_mma.cu > $O/$1/conv_igemm_mma.cu
  [ -z "$2" ] || ! cmp -s $SRC/kernels/conv_igemm_mma.cu $O/$1/conv_igemm_mma.cu || { echo "$1: sed changed nothing"; return; }
  $NVCC -gencode arch=compute_90a,code=sm_90a -O3 -std=c++17 $D $3 -DTAG="\"$1\"" -I$O/$1 -I$SRC -Xptxas -v -o $O/$1/h $H/energy3x.cu $SRC/tuner/tensor_map.cpp -ldl > $O/$1/build.log 2>&1 || { echo "$1: build failed"; tail -5 $O/$1/build.log; }
}
mk full '' '' &
mk no_mish '' '-UMISH_COUNT -DMISH_COUNT=0' &
mk no_store '' '-DKZERO=1' &
mk no_load "$NOLOAD" '' &
mk no_split "$NOSPLIT" '' &
mk one_product "$ONE" '' &
mk main_loop "$NOLOAD" "$QUIET" &
mk main_loop_no_split "$NOLOAD;$NOSPLIT" "$QUIET" &
mk main_loop_one_product "$NOLOAD;$ONE" "$QUIET" &
wait
