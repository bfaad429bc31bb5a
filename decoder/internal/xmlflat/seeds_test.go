package xmlflat

// Realistic WeChat content documents, shaped after what vendors forward
// (attribute order, CDATA, stray "-->", escaped XML), used by the unit tests,
// as fuzz seeds and by the benchmarks.

const seedImage = "<?xml version=\"1.0\"?>\n<msg>\n\t<img aeskey=\"be0b1aee8937431c9d1a48d9a678a509\" encryver=\"1\" cdnthumbaeskey=\"be0b1aee8937431c9d1a48d9a678a509\" cdnthumburl=\"3057020100044b30490201000204a1b2c3d402032f56c10204f2a8d2b70204608245ac042437326438333138352d653636332d343264622d393233322d376231646664643334306334020401150a020201000405004c53d900\" cdnthumblength=\"8533\" cdnthumbheight=\"106\" cdnthumbwidth=\"120\" cdnmidheight=\"0\" cdnmidwidth=\"0\" cdnhdheight=\"0\" cdnhdwidth=\"0\" cdnmidimgurl=\"3057020100044b30490201000204a1b2c3d402032f56c10204f2a8d2b70204608245ac042437326438333138352d653636332d343264622d393233322d376231646664643334306334020401150a020201000405004c53d900\" length=\"24880\" cdnbigimgurl=\"3057020100044b30490201000204a1b2c3d402032f56c10204f2a8d2b70204608245ac042437326438333138352d653636332d343264622d393233322d376231646664643334306334020401150a020201000405004c53d900\" hdlength=\"114382\" md5=\"6a3bd872fbdab1a48ae004c703ea68c3\" /> -->\n</msg>\n"

const seedVoice = "<msg><voicemsg endflag=\"1\" cancelflag=\"0\" forwardflag=\"0\" voiceformat=\"4\" voicelength=\"5320\" length=\"6307\" bufid=\"508882508695339372\" clientmsgid=\"41643938626630333338393335373600401113042121c0c4f94c1e2104\" fromusername=\"wxid_6j310kguyobz22\" /> --></msg>"

const seedAppMsg = `<?xml version="1.0"?>
<msg>
	<appmsg appid="" sdkver="0">
		<title>微信支付 &amp; 你的账单</title>
		<des>本月共支出 &lt;12&gt; 笔</des>
		<action />
		<type><![CDATA[5]]></type>
		<showtype>0</showtype>
		<content />
		<url><![CDATA[https://mp.weixin.qq.com/s?__biz=MzA3&mid=2651&idx=1&sn=4f1c]]></url>
		<lowurl />
		<appattach>
			<totallen>0</totallen>
			<attachid />
			<emoticonmd5 />
			<fileext />
			<cdnthumbaeskey />
			<aeskey />
		</appattach>
		<extinfo />
		<sourceusername>gh_3dfda90e39d6</sourceusername>
		<sourcedisplayname>微信支付</sourcedisplayname>
		<thumburl>https://mmbiz.qpic.cn/mmbiz_jpg/abc/0?wx_fmt=jpeg</thumburl>
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

const seedQuote = `<msg><appmsg appid="" sdkver="0"><title>好的，收到</title><des /><type>57</type><refermsg><type>49</type><svrid>7293482751938475629</svrid><fromusr>22135005646@chatroom</fromusr><chatusr>wxid_6j310kguyobz22</chatusr><displayname>张三</displayname><content>wxid_6j310kguyobz22:&#x0A;&lt;?xml version="1.0"?&gt;&#x0A;&lt;msg&gt;&lt;appmsg appid="" sdkver="0"&gt;&lt;title&gt;季度报告.pdf&lt;/title&gt;&lt;type&gt;6&lt;/type&gt;&lt;/appmsg&gt;&lt;/msg&gt;</content><createtime>1700000000</createtime></refermsg></appmsg><fromusername>wxid_ctqh94e1ahe722</fromusername></msg>`

const seedSysmsg = "<sysmsg type=\"sysmsgtemplate\">\n\t<sysmsgtemplate>\n\t\t<content_template type=\"tmpl_type_profile\">\n\t\t\t<plain><![CDATA[]]></plain>\n\t\t\t<template><![CDATA[\"$username$\"邀请\"$names$\"加入了群聊]]></template>\n\t\t\t<link_list>\n\t\t\t\t<link name=\"username\" type=\"link_profile\">...<!-- 邀请人 --></link>\n\t\t\t\t<link name=\"names\" type=\"link_profile\">...<!-- 被邀请人 --></link>\n\t\t\t</link_list>\n\t\t</content_template>\n\t</sysmsgtemplate>\n</sysmsg>\n"

const seedOp = "<msg>\n<op id='1'>\n<username>22135005646@chatroom</username>\n</op>\n</msg>"

const seedCard = `<?xml version="1.0"?>
<msg bigheadimgurl="http://wx.qlogo.cn/mmhead/ver_1/abc/0" smallheadimgurl="http://wx.qlogo.cn/mmhead/ver_1/abc/132" username = 'v3_020b3826fd03010000000000@stranger' nickname="李四" fullpy="lisi" shortpy="" alias="lisi_88" imagestatus="3" scene="17" province="广东" city="深圳" sign="" sex="1" certflag="0" certinfo="" brandIconUrl="" brandHomeUrl="" brandSubscriptConfigUrl="" brandFlags="0" regionCode="CN_Guangdong_Shenzhen" antispamticket="v4_000b708f0b0400000100000000@stranger" />
`

// seeds is every seed, for loops.
var seeds = []string{seedImage, seedVoice, seedAppMsg, seedQuote, seedSysmsg, seedOp, seedCard}
