package decoder

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// Realistic WeChat contents, one per shape wechatContent models. The
// shapes (element and attribute names, CDATA, escaped XML, stray "-->") are
// those real clients send; ids and keys are made up.
const (
	nxImage = "<?xml version=\"1.0\"?>\n<msg>\n\t<img aeskey=\"5c8ba1f2e0d94c6b9a7e3f1d2c4b6a80\" encryver=\"1\" cdnthumbaeskey=\"5c8ba1f2e0d94c6b9a7e3f1d2c4b6a80\" cdnthumburl=\"3057020100044b304902010002049d2f3c5e02032f56c30204b0a8d2b70204655f1e4a042464643532373864312d613337652d343963302d623833332d363266633262366461386139020401150a020201000405004c4e6100\" cdnthumblength=\"4178\" cdnthumbheight=\"120\" cdnthumbwidth=\"90\" cdnmidheight=\"0\" cdnmidwidth=\"0\" cdnhdheight=\"0\" cdnhdwidth=\"0\" cdnmidimgurl=\"3057020100044b304902010002049d2f3c5e02032f56c30204b0a8d2b70204655f1e4a042464643532373864312d613337652d343963302d623833332d363266633262366461386139020401150a020201000405004c4e6101\" length=\"53121\" cdnbigimgurl=\"3057020100044b304902010002049d2f3c5e02032f56c30204b0a8d2b70204655f1e4a042464643532373864312d613337652d343963302d623833332d363266633262366461386139020401150a020201000405004c4e6102\" hdlength=\"301532\" md5=\"e2d0c1a9b8f7e6d5c4b3a2918070605f\" />\n\t<platform_signature></platform_signature>\n\t<imgdatahash></imgdatahash>\n</msg>\n"

	nxVoice = `<msg><voicemsg endflag="1" cancelflag="0" forwardflag="0" voiceformat="4" voicelength="3840" length="5273" bufid="0" aeskey="7d1f0e2c3b4a59687766554433221100" voiceurl="3052020100044b30490201000204a1b2c3d4020401e3c7d20204b5a8d2b70204655f2a10042436" voicemd5="" clientmsgid="49c8e2a7d1f0b3c4_1700749840" fromusername="wxid_6j310kguyobz22" /></msg>`

	nxVideo = "<?xml version=\"1.0\"?>\n<msg>\n\t<videomsg aeskey=\"0a1b2c3d4e5f60718293a4b5c6d7e8f9\" cdnvideourl=\"3057020100044b30490201000204c5d6e7f802032f56c30204b2a8d2b70204655f3b21042437\" cdnthumbaeskey=\"0a1b2c3d4e5f60718293a4b5c6d7e8f9\" cdnthumburl=\"3057020100044b30490201000204c5d6e7f802032f56c30204b2a8d2b70204655f3b21042438\" length=\"1534890\" playlength=\"12\" cdnthumblength=\"9825\" cdnthumbwidth=\"288\" cdnthumbheight=\"512\" fromusername=\"wxid_6j310kguyobz22\" md5=\"3f9a1e7c5b2d4f6a8c0e1b3d5f7a9c2e\" newmd5=\"8b7a6c5d4e3f2a1b0c9d8e7f6a5b4c3d\" isplaceholder=\"0\" rawmd5=\"\" rawlength=\"0\" cdnrawvideourl=\"\" cdnrawvideoaeskey=\"\" overwritenewmsgid=\"0\" originsourcemd5=\"\" isad=\"0\" />\n</msg>\n"

	nxEmoji = `<msg><emoji fromusername = "wxid_6j310kguyobz22" tousername = "wxid_ctqh94e1ahe722" type="2" idbuffer="media:0_0" md5="c4b2a9e8d7f6a5b4c3d2e1f0a9b8c7d6" len = "124918" productid="" androidmd5="c4b2a9e8d7f6a5b4c3d2e1f0a9b8c7d6" androidlen="124918" s60v3md5 = "c4b2a9e8d7f6a5b4c3d2e1f0a9b8c7d6" s60v3len="124918" s60v5md5 = "c4b2a9e8d7f6a5b4c3d2e1f0a9b8c7d6" s60v5len="124918" cdnurl = "http://wxapp.tc.qq.com/262/20304/stodownload?m=c4b2a9e8d7f6a5b4c3d2e1f0a9b8c7d6&amp;filekey=30340201010420301e&amp;hy=SH&amp;storeid=32303231&amp;bizid=1023" designerid = "" thumburl = "" encrypturl = "http://wxapp.tc.qq.com/262/20304/stodownload?m=11aa&amp;bizid=1023" aeskey= "9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b" externurl = "" externmd5 = "" width= "240" height= "240" tpurl= "" tpauthkey= "" attachedtext= "" attachedtextcolor= "" lensid= "" emojiattr= "" linkid= "" desc= "" ></emoji> <gameext type="0" content="0" ></gameext></msg>`

	nxLocation = `<?xml version="1.0"?>
<msg>
	<location x="22.543096" y="114.057865" scale="15" label="广东省深圳市福田区福中三路2005号" maptype="roadmap" poiname="深圳市民中心" poiid="qqmap_7895424731902553624" buildingId="" floorName="" poiCategoryTips="" poiBusinessHour="" poiPhone="" poiPriceTips="" isFromPoiList="true" adcode="440304" cityname="深圳市" fromusername="wxid_6j310kguyobz22" />
</msg>
`

	nxCard = `<?xml version="1.0"?>
<msg bigheadimgurl="http://wx.qlogo.cn/mmhead/ver_1/Qx3b9Kc0aZ/0" smallheadimgurl="http://wx.qlogo.cn/mmhead/ver_1/Qx3b9Kc0aZ/132" username="wxid_r4d8s2n6f0bg22" nickname="王磊" fullpy="wanglei" shortpy="WL" alias="wanglei_1988" imagestatus="3" scene="17" province="浙江" city="杭州" sign="山高水长" sex="1" certflag="0" certinfo="" brandIconUrl="" brandHomeUrl="" brandSubscriptConfigUrl="" brandFlags="0" regionCode="CN_Zhejiang_Hangzhou" antispamticket="v2_7f3e0c1a2b4d6e8f0a1c3e5d7b9f1a3c@stranger" />
`

	nxFriend = `<msg fromusername="wxid_k2j4h6g8f0d122" encryptusername="v3_020b3826fd03010000000000e5a1b2c3d4e5f6000000501ea9a3dba12f95f6b60a0536a1adb6f1b3a1c2e9d8b3a4c5f6e7d8c9b0a1f2e3d4@stranger" fromnickname="陈晨" content="我是群聊&quot;周末羽毛球&quot;的陈晨" fullpy="chenchen" shortpy="CC" imagestatus="3" scene="14" country="CN" province="Guangdong" city="Shenzhen" sign="" percard="1" sex="2" alias="chen_c" weibo="" albumflag="0" albumstyle="0" albumbgimgid="" snsflag="273" snsbgimgid="" snsbgobjectid="0" mhash="" mfullhash="" bigheadimgurl="http://wx.qlogo.cn/mmhead/ver_1/Zk9d0/0" smallheadimgurl="http://wx.qlogo.cn/mmhead/ver_1/Zk9d0/96" ticket="v4_000b708f0b040000010000000000a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6@stranger" opcode="2" googlecontact="" qrticket="" chatroomusername="22135005646@chatroom" sourceusername="" sourcenickname="" sharecardusername="" sharecardnickname="" cardversion="" extflag="0"><brandlist count="0" ver="706851234"></brandlist></msg>`

	nxLink = `<?xml version="1.0"?>
<msg>
	<appmsg appid="wx6618f1cfc6c132f8" sdkver="0">
		<title>深圳地铁 16 号线二期开通运营</title>
		<des>11 月 28 日起，乘客可从大运站直达坪山</des>
		<action>view</action>
		<type><![CDATA[5]]></type>
		<showtype>0</showtype>
		<content />
		<url>https://mp.weixin.qq.com/s?__biz=MzA3NjEyNzM2MA==&amp;mid=2651384201&amp;idx=1&amp;sn=1b2c3d4e5f&amp;chksm=84a1b2c3</url>
		<dataurl />
		<lowurl />
		<lowdataurl />
		<recorditem />
		<thumburl>https://mmbiz.qpic.cn/mmbiz_jpg/Qx3b9Kc0aZ/300?wx_fmt=jpeg</thumburl>
		<appattach>
			<totallen>0</totallen>
			<attachid />
			<emoticonmd5 />
			<fileext />
			<cdnthumburl>3057020100044b3049020100020468a1b2c302032f56c3</cdnthumburl>
			<aeskey>a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6</aeskey>
		</appattach>
		<sourceusername>gh_5e4d3c2b1a09</sourceusername>
		<sourcedisplayname>深圳地铁</sourcedisplayname>
	</appmsg>
	<fromusername>wxid_6j310kguyobz22</fromusername>
	<scene>0</scene>
	<appinfo>
		<version>1</version>
		<appname>深圳地铁</appname>
	</appinfo>
	<commenturl />
</msg>
`

	nxFile = `<?xml version="1.0"?>
<msg>
	<appmsg appid="" sdkver="0">
		<title>2024Q3 经营分析.pdf</title>
		<des />
		<action>view</action>
		<type>6</type>
		<showtype>0</showtype>
		<content />
		<url />
		<appattach>
			<totallen>2834511</totallen>
			<attachid>@cdn_3057020100044b30490201000204e1f2a3b4_d4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9_1</attachid>
			<emoticonmd5 />
			<fileext>pdf</fileext>
			<cdnattachurl>3057020100044b30490201000204e1f2a3b402032f56c30204b5a8d2b70204655f4c0a0424</cdnattachurl>
			<aeskey>d4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9</aeskey>
			<encryver>1</encryver>
			<overwrite_newmsgid>0</overwrite_newmsgid>
			<fileuploadtoken>v1_Hb6dJQ0K</fileuploadtoken>
		</appattach>
		<extinfo />
		<sourceusername />
		<sourcedisplayname />
		<thumburl />
		<md5>7a1b2c3d4e5f60718293a4b5c6d7e8f9</md5>
	</appmsg>
	<fromusername>wxid_6j310kguyobz22</fromusername>
	<scene>0</scene>
	<appinfo>
		<version>1</version>
		<appname />
	</appinfo>
	<commenturl />
</msg>
`

	nxAppEmoji = `<msg><appmsg appid="wxa5e0de08d96cc09d" sdkver="0"><title></title><des></des><type>8</type><appattach><totallen>48312</totallen><attachid>0:0:7b3c</attachid><emoticonmd5>9a8b7c6d5e4f30211203948576a5b4c3</emoticonmd5><fileext>gif</fileext><cdnattachurl>3057020100044b30490201000204aa</cdnattachurl><aeskey>00112233445566778899aabbccddeeff</aeskey></appattach></appmsg><fromusername>wxid_6j310kguyobz22</fromusername></msg>`

	nxHistory = `<msg>
	<appmsg appid="" sdkver="0">
		<title>群聊的聊天记录</title>
		<des>张伟: 明天几点出发？
李娜: 八点半，地铁站见</des>
		<type>19</type>
		<url>https://support.weixin.qq.com/cgi-bin/mmsupport-bin/readtemplate?t=page/favorite_record__w_unsupport&amp;from=singlemessage&amp;isappinstalled=0</url>
		<appattach><cdnthumbaeskey /><aeskey /></appattach>
		<recorditem><![CDATA[<recordinfo><title>群聊的聊天记录</title><desc>张伟: 明天几点出发？&#x0A;李娜: 八点半，地铁站见</desc><datalist count="3"><dataitem datatype="1" dataid="2f0b1c3d"><datadesc>明天几点出发？</datadesc><sourcename>张伟</sourcename><sourceheadurl>http://wx.qlogo.cn/mmhead/ver_1/a/132</sourceheadurl><sourcetime>2024-11-22 21:04:11</sourcetime><srcMsgCreateTime>1732280651</srcMsgCreateTime><fromnewmsgid>6417259184301928374</fromnewmsgid><dataitemsource><hashusername>b1c2d3</hashusername></dataitemsource></dataitem><dataitem datatype="1" dataid="3a1c2d4e"><datadesc>八点半，地铁站见 &amp; 别迟到</datadesc><sourcename>李娜</sourcename><sourcetime>2024-11-22 21:05:37</sourcetime></dataitem><dataitem datatype="2" dataid="4b2d3e5f"><datafmt>jpg</datafmt><datasize>84213</datasize><sourcename>李娜</sourcename><sourcetime>2024-11-22 21:06:02</sourcetime></dataitem></datalist><favusername>wxid_6j310kguyobz22</favusername><isChatRoom>1</isChatRoom></recordinfo>]]></recorditem>
	</appmsg>
	<fromusername>wxid_6j310kguyobz22</fromusername>
	<scene>0</scene>
</msg>`

	nxMini = `<?xml version="1.0"?>
<msg>
	<appmsg appid="" sdkver="0">
		<title>满30减15，今日下单立享</title>
		<des />
		<type>33</type>
		<url>https://mp.weixin.qq.com/mp/waerrpage?appid=wx2c348cf579062e56&amp;type=upgrade&amp;upgradetype=3#wechat_redirect</url>
		<appattach>
			<cdnthumburl>3057020100044b30490201000204e5c8b23d02032f56c3</cdnthumburl>
			<cdnthumbmd5>9f2a7c1e4b3d5a6f8e0c2d4b6a8f0e1c</cdnthumbmd5>
			<cdnthumblength>48817</cdnthumblength>
			<cdnthumbwidth>720</cdnthumbwidth>
			<cdnthumbheight>576</cdnthumbheight>
			<cdnthumbaeskey>4b6d8f0a2c4e6a8c0e2a4c6e8a0c2e4a</cdnthumbaeskey>
			<aeskey>4b6d8f0a2c4e6a8c0e2a4c6e8a0c2e4a</aeskey>
		</appattach>
		<sourceusername>gh_72a4eb2d4324@app</sourceusername>
		<sourcedisplayname>美团外卖</sourcedisplayname>
		<weappinfo>
			<pagepath><![CDATA[pages/index/index.html?source=share]]></pagepath>
			<username>gh_72a4eb2d4324@app</username>
			<appid>wx2c348cf579062e56</appid>
			<version>745</version>
			<type>2</type>
			<weappiconurl><![CDATA[http://mmbiz.qpic.cn/mmbiz_png/2gT8kLp3xQ/640?wx_fmt=png&wxfrom=200]]></weappiconurl>
			<shareId><![CDATA[1_wx2c348cf579062e56_1732280651_0]]></shareId>
			<appservicetype>0</appservicetype>
		</weappinfo>
	</appmsg>
	<fromusername>wxid_6j310kguyobz22</fromusername>
</msg>
`

	nxQuoteApp = `<?xml version="1.0"?>
<msg>
	<appmsg appid="" sdkver="0">
		<title>这份我看过了，第 3 页数据要更新</title>
		<des />
		<type>57</type>
		<refermsg>
			<type>49</type>
			<svrid>9012345678901234567</svrid>
			<fromusr>22135005646@chatroom</fromusr>
			<chatusr>wxid_p8z3m1k0dq7l22</chatusr>
			<displayname>李娜</displayname>
			<msgsource>&lt;msgsource&gt;&lt;sec_msg_node&gt;&lt;uuid&gt;6c2f&lt;/uuid&gt;&lt;/sec_msg_node&gt;&lt;/msgsource&gt;</msgsource>
			<content>wxid_p8z3m1k0dq7l22:&#x0A;&lt;?xml version="1.0"?&gt;&#x0A;&lt;msg&gt;&lt;appmsg appid="" sdkver="0"&gt;&lt;title&gt;2024Q3 经营分析.pdf&lt;/title&gt;&lt;type&gt;6&lt;/type&gt;&lt;appattach&gt;&lt;totallen&gt;2834511&lt;/totallen&gt;&lt;fileext&gt;pdf&lt;/fileext&gt;&lt;/appattach&gt;&lt;/appmsg&gt;&lt;/msg&gt;</content>
			<createtime>1732280651</createtime>
		</refermsg>
	</appmsg>
	<fromusername>wxid_6j310kguyobz22</fromusername>
	<scene>0</scene>
</msg>
`

	nxQuoteText = `<msg><appmsg appid="" sdkver="0"><title>收到 👍</title><des /><type>57</type><refermsg><type>1</type><svrid>1798994407239534576</svrid><fromusr>wxid_6j310kguyobz22</fromusr><chatusr /><displayname>张伟</displayname><content>明天 9:00 &lt;会议室 A&gt; 开会</content><createtime>1732280000</createtime></refermsg></appmsg><fromusername>wxid_ctqh94e1ahe722</fromusername></msg>`

	nxTransfer = `<msg>
<appmsg appid="" sdkver="">
<title><![CDATA[微信转账]]></title>
<des><![CDATA[收到转账0.01元。如需收钱，请点此升级至最新版本]]></des>
<action></action>
<type>2000</type>
<content><![CDATA[]]></content>
<url><![CDATA[https://support.weixin.qq.com/cgi-bin/mmsupport-bin/readtemplate?t=page/common_page__upgrade&text=text001&btn_text=btn_text_0]]></url>
<thumburl><![CDATA[https://wx.gtimg.com/hongbao/1800/hb.png]]></thumburl>
<lowurl></lowurl>
<extinfo></extinfo>
<wcpayinfo>
<paysubtype>1</paysubtype>
<feedesc><![CDATA[￥0.01]]></feedesc>
<transcationid><![CDATA[53010000060571202411220116402734]]></transcationid>
<transferid><![CDATA[1000050001202411221010289073163]]></transferid>
<invalidtime><![CDATA[1732367051]]></invalidtime>
<begintransfertime><![CDATA[1732280651]]></begintransfertime>
<effectivedate><![CDATA[1]]></effectivedate>
<pay_memo><![CDATA[午饭AA]]></pay_memo>
<receiver_username><![CDATA[wxid_ctqh94e1ahe722]]></receiver_username>
<payer_username><![CDATA[wxid_6j310kguyobz22]]></payer_username>
</wcpayinfo>
</appmsg>
</msg>`

	nxRedPacket = `<msg>
<appmsg appid="" sdkver="">
<des><![CDATA[我给你发了一个红包，赶紧去拆!]]></des>
<url><![CDATA[https://wxapp.tenpay.com/mmpayhb/wxhb_personalreceive?showwxpaytitle=1&msgtype=1&channelid=1&sendid=1000039901202411227120143781049&ver=6&sign=68b4f1e0]]></url>
<lowurl><![CDATA[]]></lowurl>
<type><![CDATA[2001]]></type>
<title><![CDATA[微信红包]]></title>
<thumburl><![CDATA[https://wx.gtimg.com/hongbao/1800/hb.png]]></thumburl>
<wcpayinfo>
<templateid><![CDATA[7a2a165d31da7fce6dd77e05c300028a]]></templateid>
<url><![CDATA[https://wxapp.tenpay.com/mmpayhb/wxhb_personalreceive?sendid=1000039901202411227120143781049]]></url>
<iconurl><![CDATA[https://wx.gtimg.com/hongbao/1800/hb.png]]></iconurl>
<receivertitle><![CDATA[恭喜发财，大吉大利]]></receivertitle>
<sendertitle><![CDATA[恭喜发财，大吉大利]]></sendertitle>
<scenetext><![CDATA[微信红包]]></scenetext>
<senderdes><![CDATA[查看红包]]></senderdes>
<receiverdes><![CDATA[领取红包]]></receiverdes>
<nativeurl><![CDATA[wxpay://c2cbizmessagehandler/hongbao/receivehongbao?msgtype=1&channelid=1&sendid=1000039901202411227120143781049&sendusername=wxid_6j310kguyobz22&ver=6&sign=68b4f1e0]]></nativeurl>
<sceneid><![CDATA[1002]]></sceneid>
<innertype><![CDATA[0]]></innertype>
<paymsgid><![CDATA[1000039901202411227120143781049]]></paymsgid>
<scenetext>微信红包</scenetext>
<locallogoicon><![CDATA[c2c_hongbao_icon_cn]]></locallogoicon>
<invalidtime><![CDATA[1732367051]]></invalidtime>
</wcpayinfo>
</appmsg>
<fromusername><![CDATA[wxid_6j310kguyobz22]]></fromusername>
</msg>`

	nxAppMusic = `<msg><appmsg appid="wx5aa333606550dfd5" sdkver="0"><title>晴天</title><des>周杰伦</des><type>3</type><url>https://i.y.qq.com/v8/playsong.html?songmid=0039MnYb0qxYhV</url><dataurl>http://isure.stream.qqmusic.qq.com/C400.m4a</dataurl></appmsg><fromusername>wxid_6j310kguyobz22</fromusername><appinfo><version>29</version><appname>QQ音乐</appname></appinfo></msg>`

	nxOp = "<msg>\n<op id='1'>\n<username>22135005646@chatroom</username>\n</op>\n</msg>"

	nxJoin = `<sysmsg type="sysmsgtemplate">
	<sysmsgtemplate>
		<content_template type="tmpl_type_profile">
			<plain><![CDATA[]]></plain>
			<template><![CDATA["$username$"邀请"$names$"加入了群聊]]></template>
			<link_list>
				<link name="username" type="link_profile">
					<memberlist>
						<member>
							<username><![CDATA[wxid_6j310kguyobz22]]></username>
							<nickname><![CDATA[张伟]]></nickname>
						</member>
					</memberlist>
				</link>
				<link name="names" type="link_profile">
					<memberlist>
						<member>
							<username><![CDATA[wxid_p8z3m1k0dq7l22]]></username>
							<nickname><![CDATA[李娜]]></nickname>
						</member>
						<member>
							<username><![CDATA[wxid_k2j4h6g8f0d122]]></username>
							<nickname><![CDATA[陈晨]]></nickname>
						</member>
					</memberlist>
					<separator><![CDATA[、]]></separator>
				</link>
			</link_list>
		</content_template>
	</sysmsgtemplate>
</sysmsg>
`

	nxJoinQR = `<sysmsg type="sysmsgtemplate"><sysmsgtemplate><content_template type="tmpl_type_profile"><plain><![CDATA[]]></plain><template><![CDATA[" $adder$"通过扫描"$from$"分享的二维码加入群聊]]></template><link_list><link name="adder" type="link_profile"><memberlist><member><username><![CDATA[wxid_k2j4h6g8f0d122]]></username><nickname><![CDATA[陈晨]]></nickname></member></memberlist></link><link name="from" type="link_profile"><memberlist><member><username><![CDATA[wxid_6j310kguyobz22]]></username><nickname><![CDATA[张伟]]></nickname></member></memberlist></link></link_list></content_template></sysmsgtemplate></sysmsg>`

	nxKick = `<sysmsg type="sysmsgtemplate"><sysmsgtemplate><content_template type="tmpl_type_profile"><plain><![CDATA[]]></plain><template><![CDATA[你将"$kickoutname$"移出了群聊]]></template><link_list><link name="kickoutname" type="link_profile"><memberlist><member><username><![CDATA[wxid_k2j4h6g8f0d122]]></username><nickname><![CDATA[陈晨]]></nickname></member></memberlist></link></link_list></content_template></sysmsgtemplate></sysmsg>`

	nxTopic = `<sysmsg type="sysmsgtemplate"><sysmsgtemplate><content_template type="tmpl_type_profile"><plain><![CDATA[]]></plain><template><![CDATA["$username$"修改群名为"$remark$"]]></template><link_list><link name="username" type="link_profile"><memberlist><member><username><![CDATA[wxid_6j310kguyobz22]]></username><nickname><![CDATA[张伟]]></nickname></member></memberlist></link><link name="remark" type="link_plain"><plain><![CDATA[周末羽毛球 🏸]]></plain><memberlist></memberlist></link></link_list></content_template></sysmsgtemplate></sysmsg>`

	// The vendor document's own example: links hold "..." and a comment.
	nxJoinPlaceholder = "<sysmsg type=\"sysmsgtemplate\">\n\t<sysmsgtemplate>\n\t\t<content_template type=\"tmpl_type_profile\">\n\t\t\t<plain><![CDATA[]]></plain>\n\t\t\t<template><![CDATA[\"$username$\"邀请\"$names$\"加入了群聊]]></template>\n\t\t\t<link_list>\n\t\t\t\t<link name=\"username\" type=\"link_profile\">...<!-- 邀请人 --></link>\n\t\t\t\t<link name=\"names\" type=\"link_profile\">...<!-- 被邀请人 --></link>\n\t\t\t</link_list>\n\t\t</content_template>\n\t</sysmsgtemplate>\n</sysmsg>\n"

	nxRevoke = `<sysmsg type="revokemsg"><revokemsg><session>22135005646@chatroom</session><msgid>1713245300</msgid><newmsgid>8123456789012345678</newmsgid><replacemsg><![CDATA["张伟" 撤回了一条消息]]></replacemsg><announcement_id><![CDATA[]]></announcement_id></revokemsg></sysmsg>`

	nxPat = `<sysmsg type="pat">
<pat>
  <fromusername>wxid_6j310kguyobz22</fromusername>
  <chatusername>22135005646@chatroom</chatusername>
  <pattedusername>wxid_ctqh94e1ahe722</pattedusername>
  <patsuffix><![CDATA[的小脑袋]]></patsuffix>
  <patsuffixversion>1</patsuffixversion>
  <template><![CDATA["${wxid_6j310kguyobz22}" 拍了拍我的小脑袋]]></template>
</pat>
</sysmsg>`

	nxSysOther = `<sysmsg type="ClientCheckConsistency"><ClientCheckConsistency><clientcheck><clientversion>671103232</clientversion><reportid>10</reportid></clientcheck></ClientCheckConsistency></sysmsg>`
)

// The new kinds' content, as in the eyun xml_* fixtures (testdata/SOURCES.md).
const (
	nxChannels = `<?xml version="1.0"?>
<msg>
	<appmsg appid="" sdkver="0">
		<title>当前微信版本不支持展示该内容，请升级至最新版本。</title>
		<des />
		<action />
		<type>51</type>
		<showtype>0</showtype>
		<content />
		<url>https://support.weixin.qq.com/update/</url>
		<appattach>
			<totallen>0</totallen>
			<attachid />
			<emoticonmd5 />
			<fileext />
			<aeskey />
		</appattach>
		<extinfo />
		<sourceusername />
		<sourcedisplayname />
		<thumburl />
		<md5 />
		<statextstr />
		<finderFeed>
			<objectId>14307215589023775190</objectId>
			<feedType>4</feedType>
			<nickname>城市骑行日记</nickname>
			<avatar>https://wx.qlogo.cn/finderhead/ver_1/Qm3TzK8pLx2cVd9RfYw1nB7aHe4UjGo5sXi0ZqMt6yPr/0</avatar>
			<desc>周末沿江骑行 42 公里 #骑行 #城市风光</desc>
			<mediaCount>1</mediaCount>
			<objectNonceId>9138842267205118377_0_0_0_0_0</objectNonceId>
			<liveId>0</liveId>
			<username>v2_060000231003b20faec8c5e18d1bc5d1cb07e837b0770c6a8f3e1b2d4c5a6f7089fa5b21@finder</username>
			<webUrl />
			<authIconType>0</authIconType>
			<authIconUrl />
			<bizNickname />
			<bizAvatar />
			<bizUsernameV2 />
			<mediaList>
				<media>
					<mediaType>4</mediaType>
					<url>http://wxapp.tc.qq.com/251/20302/stodownload?encfilekey=Kp2Lw8Xr5Tq0Zm3Yd7Vb1Nc4Fh6Js9Ga&amp;a=1&amp;bizid=1023&amp;dotrans=0&amp;hy=SH&amp;idx=1&amp;m=0b6f2d8e4a1c3579e2d4f6a8c0e2b4d6&amp;upid=290110</url>
					<thumbUrl>http://wxapp.tc.qq.com/251/20304/stodownload?encfilekey=Wz7Qe1Rt4Yu8Io2Pa5Sd9Fg3Hj6Kl0Zx&amp;bizid=1023&amp;dotrans=0&amp;hy=SH&amp;idx=1&amp;m=5d3c1b9a7e8f6d4c2b0a9e8d7c6b5a41&amp;ctsc=2-20</thumbUrl>
					<width>1080</width>
					<height>1440</height>
					<coverUrl>http://wxapp.tc.qq.com/251/20304/stodownload?encfilekey=Wz7Qe1Rt4Yu8Io2Pa5Sd9Fg3Hj6Kl0Zx&amp;bizid=1023&amp;dotrans=0&amp;hy=SH&amp;idx=1&amp;m=5d3c1b9a7e8f6d4c2b0a9e8d7c6b5a41&amp;ctsc=2-20</coverUrl>
					<fullCoverUrl>http://wxapp.tc.qq.com/251/20350/stodownload?encfilekey=Mn4Bv7Cx0Za3Sd6Fg9Hj2Kl5Qw8Er1Ty&amp;bizid=1023&amp;dotrans=0&amp;hy=SH&amp;idx=1&amp;m=9e7c5a3b1d2f4e6a8c0b2d4f6e8a0c1d&amp;ctsc=3-20</fullCoverUrl>
					<videoPlayDuration>27</videoPlayDuration>
				</media>
			</mediaList>
		</finderFeed>
	</appmsg>
	<fromusername>wxid_6j310kguyobz22</fromusername>
	<scene>0</scene>
	<appinfo>
		<version>1</version>
		<appname></appname>
	</appinfo>
	<commenturl></commenturl>
</msg>
`

	nxFileUpload = `<msg>
        <appmsg appid="" sdkver="0">
                <title><![CDATA[2024Q4 预算.xlsx]]></title>
                <type>74</type>
                <showtype>0</showtype>
                <appattach>
                        <totallen>45210</totallen>
                        <fileext><![CDATA[xlsx]]></fileext>
                        <fileuploadtoken>v1_Ts3Kd9Qm2Xv7Lp0Hw5Rb8Nc1Fy4Gj6Ue</fileuploadtoken>
                        <status>0</status>
                </appattach>
                <md5><![CDATA[3c9a1e7f5b2d4086a1c3e5f7092b4d6f]]></md5>
                <laninfo><![CDATA[]]></laninfo>
        </appmsg>
        <fromusername>wxid_6j310kguyobz22</fromusername>
</msg>`

	nxAnnouncement = `<sysmsg type="mmchatroombarannouncememt">
    <mmchatroombarannouncememt>
        <content><![CDATA[本周五 18:00 前提交周报，逾期请私信说明。]]></content>
        <xmlcontent><![CDATA[<group_notice_item type="18">
	<edittime>1732283500</edittime>
	<ctrlflag>127</ctrlflag>
	<version>1</version>
	<source sourcetype="6" sourceid="5e0b7c2a9d4f16e38a2c5b7d9f1e3a60">
		<fromusr>wxid_6j310kguyobz22</fromusr>
		<tousr>22135005646@chatroom</tousr>
		<sourceid>5e0b7c2a9d4f16e38a2c5b7d9f1e3a60</sourceid>
	</source>
	<datalist count="1">
		<dataitem datatype="1" dataid="a4c6e8f0b2d4f6a8c0e2a4c6e8f0b2d4" htmlid="-1">
			<datadesc>本周五 18:00 前提交周报，逾期请私信说明。</datadesc>
			<dataitemsource sourcetype="6" />
		</dataitem>
	</datalist>
	<weburlitem>
		<appmsgshareitem>
			<itemshowtype>-1</itemshowtype>
		</appmsgshareitem>
	</weburlitem>
	<announcement_id>wxid_6j310kguyobz22_22135005646@chatroom_1732283500_1184402917</announcement_id>
</group_notice_item>
]]></xmlcontent>
        <announcement_id><![CDATA[wxid_6j310kguyobz22_22135005646@chatroom_1732283500_1184402917]]></announcement_id>
    </mmchatroombarannouncememt>
</sysmsg>`

	nxTodo = `<sysmsg type="roomtoolstips">
<todo>
  <op>0</op>

  <todoid><![CDATA[related_msgid_6123456789012623419]]></todoid>
  <username><![CDATA[roomannouncement@app.origin]]></username>
  <path><![CDATA[]]></path>
  <time>1732283530</time>
  <custominfo><![CDATA[]]></custominfo>
  <title><![CDATA[群公告]]></title>
  <creator><![CDATA[wxid_6j310kguyobz22]]></creator>
  <related_msgid><![CDATA[6123456789012623419]]></related_msgid>
  <manager><![CDATA[wxid_6j310kguyobz22]]></manager>
  <nreply>0</nreply>
  <scene><![CDATA[altertodo_set]]></scene>
  <oper><![CDATA[wxid_6j310kguyobz22]]></oper>
  <sharekey><![CDATA[]]></sharekey>
  <sharename><![CDATA[]]></sharename>

  <template><![CDATA[${wxid_6j310kguyobz22}将你的消息设置为群待办]]></template>

</todo>
</sysmsg>`

	nxCall = `<voipmsg type="VoIPBubbleMsg"><VoIPBubbleMsg><msg><![CDATA[对方已取消]]></msg>
<room_type>1</room_type>
<red_dot>true</red_dot>
<roomid>618273946152038471</roomid>
<roomkey>0</roomkey>
<inviteid>428816305</inviteid>
<msg_type>100</msg_type>
<timestamp>1732283612874</timestamp>
<identity><![CDATA[2048837165902217731]]></identity>
<duration>0</duration>
<inviteid64>1732283607351</inviteid64>
<business>1</business>
<caller_memberid>0</caller_memberid>
<callee_memberid>1</callee_memberid>
</VoIPBubbleMsg></voipmsg>`
)

// nxCase is one call of wechatContent and the Event it must give.
type nxCase struct {
	name    string
	dialect Dialect
	msgType int64
	implied Kind // ev.Kind on entry
	content string
	want    func(t *testing.T, ev *Event)
}

func nxCases() []nxCase {
	return []nxCase{
		{name: "image", msgType: 3, content: nxImage, want: func(t *testing.T, ev *Event) {
			m := ev.Media
			nxEq(t, ev.Kind, KindImage)
			nxEq(t, m.AESKey, "5c8ba1f2e0d94c6b9a7e3f1d2c4b6a80")
			nxEq(t, m.MD5, "e2d0c1a9b8f7e6d5c4b3a2918070605f")
			nxEq(t, m.Size, int64(53121))
			nxEq(t, m.HDSize, int64(301532))
			nxEq(t, m.Encrypt, int64(1))
			nxEq(t, m.URL[len(m.URL)-4:], "6101") // mid image
			nxEq(t, m.HDURL[len(m.HDURL)-4:], "6102")
			nxEq(t, m.Thumb, Thumb{URL: m.Thumb.URL, AESKey: "5c8ba1f2e0d94c6b9a7e3f1d2c4b6a80", Size: 4178, Width: 90, Height: 120})
			nxEq(t, m.Thumb.URL[len(m.Thumb.URL)-4:], "6100")
		}},
		{name: "image implied by the envelope, thumbnail data kept", implied: KindImage, content: nxImage,
			want: func(t *testing.T, ev *Event) {
				nxEq(t, ev.Kind, KindImage)
				nxEq(t, ev.Media.Thumb.Data, "/9j/4AAQ") // set before the call, see nxRun
				nxEq(t, ev.Media.Size, int64(53121))
			}},
		{name: "voice", msgType: 34, content: nxVoice, want: func(t *testing.T, ev *Event) {
			nxEq(t, ev.Kind, KindVoice)
			nxEq(t, ev.Media, Media{Duration: 3840, Size: 5273, Format: "silk", BufID: "0",
				AESKey: "7d1f0e2c3b4a59687766554433221100",
				URL:    "3052020100044b30490201000204a1b2c3d4020401e3c7d20204b5a8d2b70204655f2a10042436"})
		}},
		{name: "video", msgType: 43, content: nxVideo, want: func(t *testing.T, ev *Event) {
			m := ev.Media
			nxEq(t, ev.Kind, KindVideo)
			nxEq(t, m.Duration, int64(12000)) // playlength is seconds
			nxEq(t, m.Size, int64(1534890))
			nxEq(t, m.MD5, "3f9a1e7c5b2d4f6a8c0e1b3d5f7a9c2e")
			nxEq(t, m.NewMD5, "8b7a6c5d4e3f2a1b0c9d8e7f6a5b4c3d")
			nxEq(t, m.URL, "3057020100044b30490201000204c5d6e7f802032f56c30204b2a8d2b70204655f3b21042437")
			nxEq(t, m.Thumb.Width, int64(288))
			nxEq(t, m.Thumb.Height, int64(512))
			nxEq(t, m.Thumb.Size, int64(9825))
		}},
		{name: "emoji", msgType: 47, content: nxEmoji, want: func(t *testing.T, ev *Event) {
			m := ev.Media
			nxEq(t, ev.Kind, KindEmoji)
			nxEq(t, m.MD5, "c4b2a9e8d7f6a5b4c3d2e1f0a9b8c7d6")
			nxEq(t, m.Size, int64(124918))
			nxEq(t, m.Width, int64(240))
			nxEq(t, m.AESKey, "9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b")
			nxEq(t, m.URL, "http://wxapp.tc.qq.com/262/20304/stodownload?m=c4b2a9e8d7f6a5b4c3d2e1f0a9b8c7d6&filekey=30340201010420301e&hy=SH&storeid=32303231&bizid=1023")
		}},
		{name: "location", msgType: 48, content: nxLocation, want: func(t *testing.T, ev *Event) {
			nxEq(t, ev.Kind, KindLocation)
			nxEq(t, ev.Location, Location{Lat: 22.543096, Lng: 114.057865, Zoom: 15,
				Label: "广东省深圳市福田区福中三路2005号", POI: "深圳市民中心", POIID: "qqmap_7895424731902553624", MapType: "roadmap"})
		}},
		{name: "name card", msgType: 42, content: nxCard, want: func(t *testing.T, ev *Event) {
			nxEq(t, ev.Kind, KindContactCard)
			nxEq(t, ev.Card, Card{UserID: "wxid_r4d8s2n6f0bg22", Nickname: "王磊", Alias: "wanglei_1988",
				Avatar: "http://wx.qlogo.cn/mmhead/ver_1/Qx3b9Kc0aZ/0", Sex: 1, Province: "浙江", City: "杭州",
				Sign: "山高水长", Ticket: "v2_7f3e0c1a2b4d6e8f0a1c3e5d7b9f1a3c@stranger"})
		}},
		{name: "name card forwarded by dll", dialect: DLL, msgType: 42, implied: KindContactCard, content: nxCard,
			want: func(t *testing.T, ev *Event) {
				nxEq(t, ev.Kind, KindContactCard)
				nxEq(t, ev.Card.UserID, "wxid_r4d8s2n6f0bg22")
			}},
		{name: "friend request (eyun messageType 0, no msgType)", implied: KindFriendRequest, content: nxFriend,
			want: func(t *testing.T, ev *Event) {
				f := ev.Friend
				nxEq(t, ev.Kind, KindFriendRequest)
				nxEq(t, f.UserID, "wxid_k2j4h6g8f0d122")
				nxEq(t, f.Nickname, "陈晨")
				nxEq(t, f.Message, `我是群聊"周末羽毛球"的陈晨`)
				nxEq(t, strings.HasPrefix(f.V3, "v3_") && strings.HasSuffix(f.V3, "@stranger"), true)
				nxEq(t, f.V4, "v4_000b708f0b040000010000000000a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6@stranger")
				nxEq(t, f.Scene, int64(14))
				nxEq(t, f.Sex, int64(2))
				nxEq(t, f.Alias, "chen_c")
				nxEq(t, f.Avatar, "http://wx.qlogo.cn/mmhead/ver_1/Zk9d0/0")
				nxEq(t, f.Province+"/"+f.City, "Guangdong/Shenzhen")
			}},
		{name: "link", msgType: 49, content: nxLink, want: func(t *testing.T, ev *Event) {
			nxEq(t, ev.Kind, KindLink)
			nxEq(t, ev.Link, Link{Title: "深圳地铁 16 号线二期开通运营", Desc: "11 月 28 日起，乘客可从大运站直达坪山",
				URL:      "https://mp.weixin.qq.com/s?__biz=MzA3NjEyNzM2MA==&mid=2651384201&idx=1&sn=1b2c3d4e5f&chksm=84a1b2c3",
				ThumbURL: "https://mmbiz.qpic.cn/mmbiz_jpg/Qx3b9Kc0aZ/300?wx_fmt=jpeg", Source: "深圳地铁", AppID: "wx6618f1cfc6c132f8"})
			nxEq(t, ev.Eyun.AppMsgType, int64(5))
		}},
		{name: "file", msgType: 49, content: nxFile, want: func(t *testing.T, ev *Event) {
			nxEq(t, ev.Kind, KindFile)
			nxEq(t, ev.Media, Media{FileName: "2024Q3 经营分析.pdf", Size: 2834511, FileExt: "pdf",
				MD5:    "7a1b2c3d4e5f60718293a4b5c6d7e8f9",
				URL:    "3057020100044b30490201000204e1f2a3b402032f56c30204b5a8d2b70204655f4c0a0424",
				FileID: "@cdn_3057020100044b30490201000204e1f2a3b4_d4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9_1",
				AESKey: "d4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9"})
		}},
		{name: "emoji as appmsg 8", msgType: 49, content: nxAppEmoji, want: func(t *testing.T, ev *Event) {
			nxEq(t, ev.Kind, KindEmoji)
			nxEq(t, ev.Media.MD5, "9a8b7c6d5e4f30211203948576a5b4c3")
			nxEq(t, ev.Media.Size, int64(48312))
			nxEq(t, ev.Media.FileExt, "gif")
		}},
		{name: "chat history", msgType: 49, content: nxHistory, want: func(t *testing.T, ev *Event) {
			h := ev.History
			nxEq(t, ev.Kind, KindChatHistory)
			nxEq(t, h.Title, "群聊的聊天记录")
			nxEq(t, h.Desc, "张伟: 明天几点出发？\n李娜: 八点半，地铁站见")
			nxEq(t, h.Items, []HistoryItem{
				{Type: 1, Name: "张伟", Time: "2024-11-22 21:04:11", Text: "明天几点出发？"},
				{Type: 1, Name: "李娜", Time: "2024-11-22 21:05:37", Text: "八点半，地铁站见 & 别迟到"},
				{Type: 2, Name: "李娜", Time: "2024-11-22 21:06:02"},
			})
		}},
		{name: "mini program (dll 20009)", dialect: DLL, msgType: 49, implied: KindMiniProgram, content: nxMini,
			want: func(t *testing.T, ev *Event) {
				nxEq(t, ev.Kind, KindMiniProgram)
				nxEq(t, ev.MiniProgram, MiniProgram{Title: "满30减15，今日下单立享", AppID: "wx2c348cf579062e56",
					UserName: "gh_72a4eb2d4324@app", DisplayName: "美团外卖",
					IconURL:  "http://mmbiz.qpic.cn/mmbiz_png/2gT8kLp3xQ/640?wx_fmt=png&wxfrom=200",
					PagePath: "pages/index/index.html?source=share",
					URL:      "https://mp.weixin.qq.com/mp/waerrpage?appid=wx2c348cf579062e56&type=upgrade&upgradetype=3#wechat_redirect",
					Version:  745, Type: 2,
					Thumb: Thumb{URL: "3057020100044b30490201000204e5c8b23d02032f56c3", AESKey: "4b6d8f0a2c4e6a8c0e2a4c6e8a0c2e4a",
						MD5: "9f2a7c1e4b3d5a6f8e0c2d4b6a8f0e1c", Size: 48817, Width: 720, Height: 576}})
				nxEq(t, ev.Eyun.AppMsgType, int64(0)) // eyun fields stay empty for dll
			}},
		{name: "quote of a file", msgType: 49, content: nxQuoteApp, want: func(t *testing.T, ev *Event) {
			q := ev.Quote
			nxEq(t, ev.Kind, KindQuote)
			nxEq(t, ev.Text, "这份我看过了，第 3 页数据要更新")
			nxEq(t, q.ID, "9012345678901234567")
			nxEq(t, q.Type, int64(49))
			nxEq(t, q.Chat, "22135005646@chatroom")
			nxEq(t, q.From, "wxid_p8z3m1k0dq7l22")
			nxEq(t, q.DisplayName, "李娜")
			nxEq(t, q.Time, int64(1732280651000))
			nxEq(t, q.Text, "2024Q3 经营分析.pdf")
			nxEq(t, strings.HasPrefix(q.Content, "wxid_p8z3m1k0dq7l22:\n<?xml"), true)
		}},
		{name: "quote of a text", msgType: 49, content: nxQuoteText, want: func(t *testing.T, ev *Event) {
			nxEq(t, ev.Kind, KindQuote)
			nxEq(t, ev.Text, "收到 👍")
			nxEq(t, ev.Quote, Quote{ID: "1798994407239534576", Type: 1, From: "wxid_6j310kguyobz22",
				Chat: "wxid_6j310kguyobz22", DisplayName: "张伟", Text: "明天 9:00 <会议室 A> 开会", Time: 1732280000000})
		}},
		{name: "transfer", msgType: 49, content: nxTransfer, want: func(t *testing.T, ev *Event) {
			nxEq(t, ev.Kind, KindTransfer)
			nxEq(t, ev.Transfer, Transfer{Amount: "￥0.01", Memo: "午饭AA", TransferID: "1000050001202411221010289073163",
				TransactionID: "53010000060571202411220116402734", PaySubtype: 1,
				BeginTime: 1732280651000, InvalidTime: 1732367051000,
				Payer: "wxid_6j310kguyobz22", Receiver: "wxid_ctqh94e1ahe722"})
		}},
		{name: "red packet", msgType: 49, content: nxRedPacket, want: func(t *testing.T, ev *Event) {
			r := ev.RedPacket
			nxEq(t, ev.Kind, KindRedPacket)
			nxEq(t, r.Title, "微信红包")
			nxEq(t, r.Wishing, "恭喜发财，大吉大利")
			nxEq(t, r.SenderTitle, "恭喜发财，大吉大利")
			nxEq(t, r.SceneID, "1002")
			nxEq(t, r.IconURL, "https://wx.gtimg.com/hongbao/1800/hb.png")
			nxEq(t, strings.HasPrefix(r.NativeURL, "wxpay://c2cbizmessagehandler/hongbao/receivehongbao?msgtype=1&"), true)
		}},
		{name: "appmsg type not modelled", msgType: 49, content: nxAppMusic, want: func(t *testing.T, ev *Event) {
			nxEq(t, ev.Kind, KindUnknown)
			nxEq(t, ev.Eyun.AppMsgType, int64(3))
			nxEq(t, ev.Content, nxAppMusic)
			nxEq(t, ev.Problem, Problem{Detail: "appmsg type 3 is not modelled"})
		}},
		{name: "room enter", msgType: 51, content: nxOp, want: func(t *testing.T, ev *Event) {
			nxEq(t, ev.Kind, KindRoomEnter)
			nxEq(t, ev.Room, "22135005646@chatroom")
		}},
		{name: "system text", msgType: 10000, content: "你已添加了陈晨，现在可以开始聊天了。", want: func(t *testing.T, ev *Event) {
			nxEq(t, ev.Kind, KindSystem)
			nxEq(t, ev.Text, "你已添加了陈晨，现在可以开始聊天了。")
		}},
		{name: "room join", msgType: 10002, content: nxJoin, want: func(t *testing.T, ev *Event) {
			nxEq(t, ev.Kind, KindRoomJoin)
			nxEq(t, ev.RoomChange, RoomChange{Actor: "wxid_6j310kguyobz22", ActorName: "张伟",
				Members:  []Member{{ID: "wxid_p8z3m1k0dq7l22", Name: "李娜"}, {ID: "wxid_k2j4h6g8f0d122", Name: "陈晨"}},
				Template: `"$username$"邀请"$names$"加入了群聊`})
		}},
		{name: "room join by QR code", msgType: 10002, content: nxJoinQR, want: func(t *testing.T, ev *Event) {
			nxEq(t, ev.Kind, KindRoomJoin)
			nxEq(t, ev.RoomChange.Actor, "wxid_6j310kguyobz22")
			nxEq(t, ev.RoomChange.Members, []Member{{ID: "wxid_k2j4h6g8f0d122", Name: "陈晨"}})
		}},
		{name: "room join, vendor placeholder links", msgType: 10002, content: nxJoinPlaceholder,
			want: func(t *testing.T, ev *Event) {
				nxEq(t, ev.Kind, KindRoomJoin)
				nxEq(t, ev.RoomChange, RoomChange{Template: `"$username$"邀请"$names$"加入了群聊`})
			}},
		{name: "room leave", msgType: 10002, content: nxKick, want: func(t *testing.T, ev *Event) {
			nxEq(t, ev.Kind, KindRoomLeave)
			nxEq(t, ev.RoomChange, RoomChange{Members: []Member{{ID: "wxid_k2j4h6g8f0d122", Name: "陈晨"}},
				Template: `你将"$kickoutname$"移出了群聊`})
		}},
		{name: "room topic", msgType: 10002, content: nxTopic, want: func(t *testing.T, ev *Event) {
			nxEq(t, ev.Kind, KindRoomTopic)
			nxEq(t, ev.RoomChange, RoomChange{Actor: "wxid_6j310kguyobz22", ActorName: "张伟", Topic: "周末羽毛球 🏸",
				Template: `"$username$"修改群名为"$remark$"`})
		}},
		{name: "recall", msgType: 10002, content: nxRevoke, want: func(t *testing.T, ev *Event) {
			nxEq(t, ev.Kind, KindRecall)
			nxEq(t, ev.Recall, Recall{ID: "8123456789012345678", MsgID: "1713245300", Session: "22135005646@chatroom",
				Text: `"张伟" 撤回了一条消息`})
		}},
		{name: "pat", msgType: 10002, content: nxPat, want: func(t *testing.T, ev *Event) {
			nxEq(t, ev.Kind, KindPat)
			nxEq(t, ev.Pat, Pat{From: "wxid_6j310kguyobz22", Patted: "wxid_ctqh94e1ahe722", Chat: "22135005646@chatroom",
				Template: `"${wxid_6j310kguyobz22}" 拍了拍我的小脑袋`})
		}},
		{name: "other sysmsg", msgType: 10002, content: nxSysOther, want: func(t *testing.T, ev *Event) {
			nxEq(t, ev.Kind, KindSystem)
			nxEq(t, ev.Content, nxSysOther)
		}},
		{name: "sender prefix left in place", msgType: 10002, content: "22135005646@chatroom:\n" + nxRevoke,
			want: func(t *testing.T, ev *Event) {
				nxEq(t, ev.Kind, KindRecall)
				nxEq(t, ev.Recall.ID, "8123456789012345678")
			}},
		{name: "no msgType, no implied kind: the XML decides", content: nxVideo, want: func(t *testing.T, ev *Event) {
			nxEq(t, ev.Kind, KindVideo)
			nxEq(t, ev.Media.Duration, int64(12000))
		}},
		{name: "unknown msgType", msgType: 9999, content: "<msg><new/></msg>", want: func(t *testing.T, ev *Event) {
			nxEq(t, ev.Kind, KindUnknown)
			nxEq(t, ev.Content, "<msg><new/></msg>")
		}},
		{name: "XML lacking its element", msgType: 3, content: "<msg><video/></msg>", want: func(t *testing.T, ev *Event) {
			nxEq(t, ev.Kind, KindUnknown)
			nxEq(t, ev.Content, "<msg><video/></msg>")
			nxEq(t, ev.Problem.Code, CodeBadContent)
			nxEq(t, ev.Problem.Offset, 100)
		}},
		{name: "integers that do not parse are 0", msgType: 34,
			content: `<msg><voicemsg voicelength="12s" length="-" bufid="x"/></msg>`, want: func(t *testing.T, ev *Event) {
				nxEq(t, ev.Kind, KindVoice)
				nxEq(t, ev.Media, Media{BufID: "x"})
			}},
		{name: "location with non-finite coordinates", msgType: 48,
			content: `<msg><location x="NaN" y="Inf" scale="1e999" label="?"/></msg>`, want: func(t *testing.T, ev *Event) {
				nxEq(t, ev.Location, Location{Label: "?"})
			}},
		{name: "channels", msgType: 49, content: nxChannels, want: func(t *testing.T, ev *Event) {
			nxEq(t, ev.Kind, KindChannels)
			nxEq(t, ev.Eyun.AppMsgType, int64(51))
			c := ev.Channels
			nxEq(t, c.ObjectID, "14307215589023775190")
			nxEq(t, c.Nickname, "城市骑行日记")
			nxEq(t, c.MediaCount, int64(1))
			nxEq(t, c.Width, int64(1080))
			nxEq(t, c.URL[len(c.URL)-11:], "upid=290110") // &amp; decoded
		}},
		{name: "file upload notice", msgType: 49, content: nxFileUpload, want: func(t *testing.T, ev *Event) {
			nxEq(t, ev.Kind, KindFileUpload)
			nxEq(t, ev.Media, Media{FileName: "2024Q4 预算.xlsx", FileExt: "xlsx", Size: 45210,
				MD5: "3c9a1e7f5b2d4086a1c3e5f7092b4d6f"})
		}},
		{name: "room announcement", msgType: 10002, content: nxAnnouncement, want: func(t *testing.T, ev *Event) {
			nxEq(t, ev.Kind, KindRoomAnnouncement)
			nxEq(t, ev.Announce, Announcement{ID: "wxid_6j310kguyobz22_22135005646@chatroom_1732283500_1184402917",
				Text: "本周五 18:00 前提交周报，逾期请私信说明。", Editor: "wxid_6j310kguyobz22", EditTime: 1732283500000})
		}},
		{name: "room todo", msgType: 10002, content: nxTodo, want: func(t *testing.T, ev *Event) {
			nxEq(t, ev.Kind, KindRoomTodo)
			nxEq(t, ev.Todo.ID, "related_msgid_6123456789012623419")
			nxEq(t, ev.Todo.Operator, "wxid_6j310kguyobz22")
			nxEq(t, ev.Todo.Time, int64(1732283530000))
		}},
		{name: "call", msgType: 50, content: nxCall, want: func(t *testing.T, ev *Event) {
			nxEq(t, ev.Kind, KindCall)
			nxEq(t, ev.Call, Call{Text: "对方已取消", RoomType: 1, RoomID: "618273946152038471",
				InviteID: "1732283607351", Time: 1732283612874})
		}},
		{name: "call implied by the XML", content: nxCall, want: func(t *testing.T, ev *Event) {
			nxEq(t, ev.Kind, KindCall)
			nxEq(t, ev.Call.RoomID, "618273946152038471")
		}},
		{name: "fallback reader: DOCTYPE", msgType: 3,
			content: `<!DOCTYPE msg><msg><img md5="abc" length="9"/></msg>`, want: func(t *testing.T, ev *Event) {
				nxEq(t, ev.Kind, KindImage)
				nxEq(t, ev.Media.MD5, "abc")
			}},
	}
}

// nxRun calls wechatContent the way the dialects do.
func nxRun(d *Decoder, ev *Event, c nxCase) error {
	ev.Reset()
	ev.Kind = c.implied
	if c.name == "image implied by the envelope, thumbnail data kept" {
		ev.Media.Thumb.Data = "/9j/4AAQ"
	}
	dialect := c.dialect
	if dialect == Auto {
		dialect = Eyun
	}
	return d.wechatContent(ev, dialect, c.msgType, c.content, "data.content", 100)
}

// nxEq compares with reflect.DeepEqual, treating empty slices as nil: a
// reused Event keeps its slices' capacity.
func nxEq[T any](t *testing.T, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(nxNorm(got), nxNorm(want)) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

func nxNorm(v any) any {
	if rc, ok := v.(RoomChange); ok && len(rc.Members) == 0 {
		rc.Members = nil
		return rc
	}
	return v
}

func TestWeChatContent(t *testing.T) {
	var d Decoder
	var ev Event
	for _, c := range nxCases() {
		t.Run(c.name, func(t *testing.T) {
			if err := nxRun(&d, &ev, c); err != nil {
				t.Fatal(err)
			}
			c.want(t, &ev)
			// Whatever the shape, the canonical JSON must be produced.
			if js := ev.AppendJSON(nil); len(js) == 0 || js[0] != '{' {
				t.Fatalf("JSON = %s", js)
			}
		})
	}
}

func TestWeChatContentUnreadable(t *testing.T) {
	var d Decoder
	for _, c := range []struct {
		content string
		offset  int // in the content
	}{
		{"<msg><img md5='1'></msg>", 18},
		{"<msg><img md5='&nbsp;'/></msg>", 15},
		{"wxid_a:\n<msg>", 13},
	} {
		var ev Event
		err := d.wechatContent(&ev, Eyun, 3, c.content, "data.content", 1000)
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("%q: err = %v", c.content, err)
		}
		if e.Code != CodeBadContent || e.Vendor != Eyun || e.Field != "data.content" || e.Offset != 1000+c.offset {
			t.Errorf("%q: error = %+v", c.content, e)
		}
	}
}

func TestMsgSourceMentions(t *testing.T) {
	var d Decoder
	for _, c := range []struct {
		src  string
		want []string
	}{
		{"<msgsource>\n\t<atuserlist>,wxid_a, wxid_b,,wxid_a</atuserlist>\n\t<silence>0</silence>\n</msgsource>\n", []string{"wxid_a", "wxid_b"}},
		{"<msgsource><atuserlist><![CDATA[notify@all]]></atuserlist></msgsource>", []string{"notify@all"}},
		{"<msgsource><silence>0</silence><membercount>3</membercount></msgsource>", nil},
		{"<msgsource><atuserlist>wxid_a", nil}, // unreadable: no mentions, no panic
		{"", nil},
	} {
		var ev Event
		d.msgSourceMentions(&ev, c.src)
		if len(ev.Mentions) != len(c.want) || len(c.want) > 0 && !reflect.DeepEqual(ev.Mentions, c.want) {
			t.Errorf("%q: mentions = %q, want %q", c.src, ev.Mentions, c.want)
		}
	}
	// Mentions already given by the vendor are not repeated.
	ev := Event{Mentions: []string{"wxid_a"}}
	d.msgSourceMentions(&ev, "<msgsource><atuserlist>wxid_a,wxid_c</atuserlist></msgsource>")
	nxEq(t, ev.Mentions, []string{"wxid_a", "wxid_c"})
}

// After warm-up, decoding WeChat content allocates nothing (the fallback
// reader excepted: it is for documents real clients do not send).
func TestWeChatContentZeroAlloc(t *testing.T) {
	var d Decoder
	var ev Event
	for _, c := range nxCases() {
		if strings.HasPrefix(c.name, "fallback") {
			continue
		}
		if err := nxRun(&d, &ev, c); err != nil {
			t.Fatal(err)
		}
		if n := testing.AllocsPerRun(20, func() { _ = nxRun(&d, &ev, c) }); n != 0 {
			t.Errorf("%s: %v allocs per call", c.name, n)
		}
	}
	src := "<msgsource><atuserlist>,wxid_a,wxid_b</atuserlist></msgsource>"
	if n := testing.AllocsPerRun(20, func() { ev.Reset(); d.msgSourceMentions(&ev, src) }); n != 0 {
		t.Errorf("msgSourceMentions: %v allocs", n)
	}
}

// Strings of one decode stay intact while the Decoder keeps them: a quote's
// text lives in the inner Doc, the mentions in the msgsource Doc.
func TestWeChatContentDocsIndependent(t *testing.T) {
	var d Decoder
	var ev Event
	c := nxCases()
	for _, k := range c {
		if k.name == "quote of a file" {
			if err := nxRun(&d, &ev, k); err != nil {
				t.Fatal(err)
			}
		}
	}
	d.msgSourceMentions(&ev, "<msgsource><atuserlist>wxid_z</atuserlist></msgsource>")
	nxEq(t, ev.Quote.Text, "2024Q3 经营分析.pdf")
	nxEq(t, ev.Text, "这份我看过了，第 3 页数据要更新")
	nxEq(t, ev.Mentions, []string{"wxid_z"})
}

// nxVariant names the cases that test an edge of a shape already benchmarked.
var nxVariant = map[string]bool{
	"image implied by the envelope, thumbnail data kept": true,
	"name card forwarded by dll":                         true,
	"room join, vendor placeholder links":                true,
	"sender prefix left in place":                        true,
	"no msgType, no implied kind: the XML decides":       true,
	"unknown msgType":                                    true,
	"XML lacking its element":                            true,
	"integers that do not parse are 0":                   true,
	"location with non-finite coordinates":               true,
	"fallback reader: DOCTYPE":                           true,
	"call implied by the XML":                            true,
}

func BenchmarkWeChatContent(b *testing.B) {
	for _, c := range nxCases() {
		if nxVariant[c.name] {
			continue // one benchmark per shape
		}
		b.Run(strings.ReplaceAll(c.name, " ", "_"), func(b *testing.B) {
			var d Decoder
			var ev Event
			b.SetBytes(int64(len(c.content)))
			b.ReportAllocs()
			for b.Loop() {
				if err := nxRun(&d, &ev, c); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// FuzzWeChatContent: any content under any msgType decodes without panic to
// an Event whose canonical JSON is valid, or to a bad_content *Error.
func FuzzWeChatContent(f *testing.F) {
	for _, c := range nxCases() {
		f.Add(c.msgType, uint8(c.implied), c.content)
	}
	var d Decoder
	var ev Event
	f.Fuzz(func(t *testing.T, msgType int64, implied uint8, content string) {
		ev.Reset()
		ev.Kind = Kind(implied % uint8(kindCount))
		err := d.wechatContent(&ev, Eyun, msgType, content, "data.content", 7)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Code != CodeBadContent || e.Offset < 7 || e.Offset > 7+len(content) {
				t.Fatalf("error %#v", err)
			}
			return
		}
		if js := ev.AppendJSON(nil); !json.Valid(js) {
			t.Fatalf("invalid JSON %s", js)
		}
	})
}
